// save_model: the final model as a checkpoint in a directory of its own (the SageMaker model
// directory by default), restorable with a Checkpointer on that directory.
#include <gtest/gtest.h>

#include "checkpointer_fixture.h"
#include "support/thread_ranks.h"

namespace ronde::checkpoint::testing {
namespace {

using ronde::testing::run_ranks;

TEST(SaveModel, WritesACheckpointThatRestoresFromTheModelDirectory) {
  TempRoot root;
  TempRoot model_dir;
  run_ranks(2, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 7);
    CheckpointState state;
    toy.register_in(state, /*with_per_rank=*/false);
    CheckpointerOptions options = test_options();
    options.every_steps = 1;
    Checkpointer ck(ctx, root.uri(), options);
    ck.maybe_save(7, state);  // in flight when save_model is called: it is waited for first
    EXPECT_EQ(ck.save_model(7, state, model_dir.path()), model_dir.path());
    ASSERT_TRUE(ck.last_committed().has_value());
    EXPECT_EQ(ck.last_committed()->step, 7);
  });
  run_ranks(1, [&](Context& ctx) {  // read back at another world size: replicated state
    ToyState blank(ctx.rank(), 0);
    CheckpointState state;
    blank.register_in(state, /*with_per_rank=*/false);
    Checkpointer reader(ctx, model_dir.uri(), test_options());
    EXPECT_EQ(reader.restore_latest(state), std::optional<std::int64_t>(7));
    EXPECT_EQ(blank.w, ToyState(0, 7).w);
    EXPECT_EQ(blank.b, ToyState(0, 7).b);
  });
}

TEST(SaveModel, OutsideSageMakerItNeedsADirectory) {
  TempRoot root;
  run_ranks(1, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 1);
    CheckpointState state;
    toy.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options());
    try {
      ck.save_model(1, state);
      FAIL() << "save_model without a model directory succeeded";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(error.message().find("not in a SageMaker container"), std::string::npos) << error.what();
    }
  });
}

}  // namespace
}  // namespace ronde::checkpoint::testing
