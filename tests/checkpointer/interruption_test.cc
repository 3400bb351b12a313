// SIGTERM raised in-process: interrupted() turns true and save_now writes a final checkpoint; a
// save in flight of an earlier step is stopped (superseded) on every rank, one of the same step is
// let finish.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <thread>

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

// Shards of the first save block on a gate until it opens, so that the test decides when that
// save's uploads may go on.
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
};

std::shared_ptr<Storage> gated_storage(const TempRoot& root, Gate& gate) {
  return std::make_shared<FailingStorage>(open_storage(root.uri()), [&gate](std::string_view key) {
    if (key.find("ckpt-000000000010-") != std::string_view::npos) gate.opened.wait();
    return false;  // never fails a put: only delays the first save's
  });
}

TEST(Interruption, SaveNowStopsASupersededSaveInFlightOnEveryRank) {
  TempRoot root;
  LogCapture logs;
  run_ranks(2, [&](Context& ctx) {
    Gate gate;
    ToyState toy(ctx.rank(), 10);
    CheckpointState state;
    toy.register_in(state);
    CheckpointerOptions options = test_options(logs.logger());
    options.every_steps = 10;
    Checkpointer ck(ctx, gated_storage(root, gate), options);
    ck.maybe_save(10, state);  // its first shard put waits at the gate
    // The gate opens a moment after save_now has asked the save of step 10 to stop; its next
    // shard upload then stops, and the save of step 10 fails on both ranks.
    std::thread opener([&gate] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      gate.open.set_value();
    });
    toy.fill(ctx.rank(), 12);
    ck.save_now(12, state);
    opener.join();
    ASSERT_TRUE(ck.last_committed().has_value());
    EXPECT_EQ(ck.last_committed()->step, 12);
  });
  EXPECT_NE(logs.text().find("the save in flight was stopped for the final checkpoint"), std::string::npos)
      << logs.text();
  EXPECT_NE(logs.text().find("superseded by a final checkpoint"), std::string::npos) << logs.text();
  auto storage = open_storage(root.uri());
  EXPECT_EQ(checkpoint_names(*storage, /*committed_only=*/true).size(), 1u);
  run_ranks(2, [&](Context& ctx) {
    ToyState blank(ctx.rank(), 0);
    CheckpointState state;
    blank.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options());
    EXPECT_EQ(ck.restore_latest(state), std::optional<std::int64_t>(12));
    EXPECT_EQ(blank.w, ToyState(ctx.rank(), 12).w);
  });
}

TEST(Interruption, SaveNowLetsASaveOfTheSameStepFinish) {
  TempRoot root;
  run_ranks(1, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 10);
    CheckpointState state;
    toy.register_in(state);
    CheckpointerOptions options = test_options();
    options.every_steps = 10;
    Checkpointer ck(ctx, root.uri(), options);
    ck.maybe_save(10, state);
    ck.save_now(10, state);  // the save in flight is this step's: it completes and is the final one
    ASSERT_TRUE(ck.last_committed().has_value());
    EXPECT_EQ(ck.last_committed()->step, 10);
  });
}

}  // namespace
}  // namespace ronde::checkpoint::testing
