// SIGTERM raised in-process: interrupted() turns true and save_now writes a final checkpoint.
#include <gtest/gtest.h>

#include <csignal>

#include "checkpointer_fixture.h"
#include "support/thread_ranks.h"

namespace ronde::checkpoint::testing {
namespace {

using ronde::testing::run_ranks;

TEST(Interruption, SigtermThenSaveNowCommitsAFinalCheckpoint) {
  TempRoot root;
  run_ranks(1, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 1);
    CheckpointState state;
    toy.register_in(state);
    CheckpointerOptions options = test_options();
    options.watch_interruptions = true;
    options.every_steps = 4;
    Checkpointer ck(ctx, root.uri(), options);
    int exit_code = -1;
    for (int step = 1; step <= 100; ++step) {
      toy.fill(ctx.rank(), step);
      ck.maybe_save(step, state);  // step 4 is in flight or done when the signal comes
      if (step == 6) std::raise(SIGTERM);
      if (ck.interrupted()) {
        ck.save_now(step, state);
        exit_code = kExitCheckpointedAfterInterruption;
        break;
      }
    }
    EXPECT_EQ(exit_code, 0);
    ASSERT_TRUE(ck.last_committed().has_value());
    EXPECT_EQ(ck.last_committed()->step, 6);
  });
  run_ranks(1, [&](Context& ctx) {
    ToyState blank(ctx.rank(), 0);
    CheckpointState state;
    blank.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options());
    EXPECT_EQ(ck.restore_latest(state), std::optional<std::int64_t>(6));
    EXPECT_EQ(blank.w, ToyState(ctx.rank(), 6).w);
  });
}

}  // namespace
}  // namespace ronde::checkpoint::testing
