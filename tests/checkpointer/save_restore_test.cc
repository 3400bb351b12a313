// Save and restore round trips over the file backend, ranks as threads: replicated and per-rank
// tensors, metadata, user JSON, optimizer records; a different world size; state mismatches.
#include <gtest/gtest.h>

#include "checkpointer_fixture.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"

namespace ronde::checkpoint::testing {
namespace {

using ronde::testing::error_from;
using ronde::testing::run_ranks;

class SaveRestore : public ::testing::TestWithParam<int> {};

TEST_P(SaveRestore, RoundTripIsBitwiseExact) {
  const int ranks = GetParam();
  TempRoot root;
  run_ranks(ranks, [&](Context& ctx) {
    {
      ToyState toy(ctx.rank(), 7);
      CheckpointState state;
      toy.register_in(state);
      state.metadata["data.position"] = "1234";
      state.user_json = R"({"lr": 0.1, "arch": "mlp"})";
      state.add_optimizer({"adamw", {{"kind", "adamw"}, {"step", "7"}}, {"b"}});
      Checkpointer ck(ctx, root.uri(), test_options());
      EXPECT_FALSE(ck.restore_latest(state).has_value());
      ck.save(70, state);
      ASSERT_TRUE(ck.last_committed().has_value());
      EXPECT_EQ(ck.last_committed()->step, 70);
    }
    ToyState blank(ctx.rank(), 0);
    CheckpointState restored;
    blank.register_in(restored);
    restored.add_optimizer({"adamw", {}, {"b"}});
    Checkpointer ck(ctx, root.uri(), test_options());
    EXPECT_EQ(ck.restore_latest(restored), std::optional<std::int64_t>(70));
    const ToyState expected(ctx.rank(), 7);
    EXPECT_EQ(blank.w, expected.w);
    EXPECT_EQ(blank.b, expected.b);
    EXPECT_EQ(blank.pos, expected.pos);
    EXPECT_EQ(restored.metadata.at("data.position"), "1234");
    EXPECT_EQ(restored.user_json, R"({"arch":"mlp","lr":0.1})");
    EXPECT_EQ(restored.optimizers()[0].metadata.at("step"), "7");
  });
  // Every rank uploaded a share of the replicated bytes.
  auto storage = open_storage(root.uri(), StorageOptions{});
  for (int r = 0; r < ranks; ++r) {
    bool found = false;
    for (const auto& object : storage->list(kCheckpointKeyPrefix)) {
      found = found || object.key.find(shard_name(r, 0)) != std::string::npos;
    }
    EXPECT_TRUE(found) << "no replicated shard of rank " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, SaveRestore, ::testing::Values(1, 2, 3));

TEST(SaveRestoreWorldSize, ReplicatedStateRestoresAtAnotherWorldSize) {
  TempRoot root;
  run_ranks(3, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 5);
    CheckpointState state;
    toy.register_in(state);
    Checkpointer(ctx, root.uri(), test_options()).save(50, state);
  });
  run_ranks(2, [&](Context& ctx) {
    ToyState blank(ctx.rank(), 0);
    CheckpointState state;
    blank.register_in(state, /*with_per_rank=*/false);
    Checkpointer ck(ctx, root.uri(), test_options());
    EXPECT_EQ(ck.restore_latest(state), std::optional<std::int64_t>(50));
    EXPECT_EQ(blank.w, ToyState(ctx.rank(), 5).w);
  });
  // Per-rank state needs the saving world size, on every rank.
  run_ranks(2, [&](Context& ctx) {
    ToyState blank(ctx.rank(), 0);
    CheckpointState state;
    blank.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options());
    const Error error = error_from([&] { ck.restore_latest(state); });
    EXPECT_EQ(error.code(), ErrorCode::Mismatch);
    EXPECT_NE(error.message().find("'pos'"), std::string::npos) << error.message();
  });
}

TEST(SaveRestoreErrors, MissingTensorAndShapeMismatchNameTheTensor) {
  TempRoot root;
  run_ranks(2, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 3);
    CheckpointState state;
    toy.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options());
    ck.save(3, state);

    std::vector<float> extra(4);
    CheckpointState missing;
    missing.add_replicated("not_saved", Tensor::of(extra));
    Error error = error_from([&] { ck.restore_latest(missing); });
    EXPECT_EQ(error.code(), ErrorCode::NotFound);
    EXPECT_NE(error.message().find("'not_saved'"), std::string::npos) << error.message();

    std::vector<float> wrong(999);
    CheckpointState mismatched;
    mismatched.add_replicated("w", Tensor::of(wrong));
    error = error_from([&] { ck.restore_latest(mismatched); });
    EXPECT_EQ(error.code(), ErrorCode::Mismatch);
    EXPECT_NE(error.message().find("'w'"), std::string::npos) << error.message();
  });
}

TEST(SaveRestoreErrors, RanksDisagreeingOnReplicatedTensorsFailTogether) {
  TempRoot root;
  run_ranks(2, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 3, ctx.rank() == 0 ? 100 : 101);
    CheckpointState state;
    toy.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options());
    const Error error = error_from([&] { ck.save(3, state); });
    EXPECT_EQ(error.code(), ErrorCode::Mismatch);
    EXPECT_NE(error.message().find("rank 1"), std::string::npos) << error.message();
    EXPECT_TRUE(checkpoint_names(ck.storage(), true).empty());
  });
}

TEST(SaveRestoreState, OwnedTensorsAndDuplicateNames) {
  CheckpointState state;
  Tensor owned = state.add_owned("opt/m", DType::F32, {2, 3});
  EXPECT_EQ(owned.nbytes(), 24u);
  EXPECT_NE(owned.data(), nullptr);
  std::vector<float> values(6);
  EXPECT_EQ(error_from([&] { state.add_replicated("opt/m", Tensor::of(values)); }).code(),
            ErrorCode::InvalidArgument);
}

TEST(SaveRestoreState, OptionsFromEnvironment) {
  const auto env = ronde::testing::env_of({{"RONDE_CHECKPOINT_EVERY_STEPS", "50"},
                                           {"RONDE_CHECKPOINT_KEEP_LAST", "3"},
                                           {"RONDE_CHECKPOINT_KEEP_EVERY", "1000"}});
  const CheckpointerOptions options = CheckpointerOptions::from_env(env);
  EXPECT_EQ(options.every_steps, 50);
  EXPECT_EQ(options.keep_last, 3);
  EXPECT_EQ(options.keep_every, 1000);
  const Error error = error_from([] {
    CheckpointerOptions::from_env(ronde::testing::env_of({{"RONDE_CHECKPOINT_KEEP_LAST", "-1"}}));
  });
  EXPECT_NE(error.message().find("RONDE_CHECKPOINT_KEEP_LAST"), std::string::npos);
}

TEST(SaveRestoreState, SageMakerDefaultUri) {
  EXPECT_EQ(resolve_checkpoint_uri("s3://b/run", std::nullopt), "s3://b/run");
  SageMakerConfig config;
  config.root = "/opt/ml";
  EXPECT_EQ(resolve_checkpoint_uri("", config), "file:///opt/ml/checkpoints");
  EXPECT_EQ(error_from([] { resolve_checkpoint_uri("", std::nullopt); }).code(), ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace ronde::checkpoint::testing
