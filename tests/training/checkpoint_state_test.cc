// Optimizer state in checkpoints (ronde/training/checkpoint_state.h), over the real file backend
// with ranks as threads: an AdamW stepped, checkpointed, restored into a fresh optimizer over fresh
// parameters, then stepped further beside the original, must match it bit for bit; the errors.
#include "ronde/training/checkpoint_state.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "checkpointer_fixture.h"
#include "ronde/core/error.h"
#include "ronde/optim/optimizer.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"
#include "training/reference_model.h"

namespace ronde::training {
namespace {

using checkpoint::Checkpointer;
using checkpoint::CheckpointState;
using checkpoint::testing::TempRoot;
using checkpoint::testing::test_options;
using ronde::testing::error_from;
using ronde::testing::run_ranks;

const std::vector<std::size_t> kParameterSizes = {6, 5, 300};

std::unique_ptr<optim::Optimizer> make_adamw(const Model& model) {
  return optim::make_adamw(model.parameters, {.lr = 0.01, .weight_decay = 0.02});
}

// Steps `optimizer` over `model` for steps [first, last); every rank uses the same gradients, as
// after an allreduce.
void train(Model& model, optim::Optimizer& optimizer, int first, int last) {
  for (int step = first; step < last; ++step) {
    fill_gradients(model, /*rank=*/0, step);
    optimizer.step();
  }
}

void expect_same_values(const Model& a, const Model& b) {
  ASSERT_EQ(a.values.size(), b.values.size());
  for (std::size_t p = 0; p < a.values.size(); ++p) {
    ASSERT_EQ(a.values[p].size(), b.values[p].size());
    EXPECT_EQ(std::memcmp(a.values[p].data(), b.values[p].data(), a.values[p].size() * sizeof(float)), 0)
        << "parameter " << p << " differs";
  }
}

void expect_same_state(const optim::Optimizer& a, const optim::Optimizer& b) {
  const optim::StateDict da = a.state_dict();
  const optim::StateDict db = b.state_dict();
  EXPECT_EQ(da.metadata, db.metadata);
  ASSERT_EQ(da.tensors.size(), db.tensors.size());
  for (std::size_t i = 0; i < da.tensors.size(); ++i) {
    EXPECT_EQ(da.tensors[i].name, db.tensors[i].name);
    EXPECT_EQ(da.tensors[i].bytes, db.tensors[i].bytes) << "tensor " << da.tensors[i].name << " differs";
  }
}

// Registers the model's parameters as replicated tensors "layerP.w".
void add_parameters(CheckpointState& state, const Model& model) {
  for (const auto& parameter : model.parameters) state.add_replicated(parameter.name, parameter.value);
}

// Saves after 3 steps at `save_ranks` ranks, restores at `restore_ranks`, then 4 more steps each.
void round_trip(int save_ranks, int restore_ranks) {
  constexpr int kSavedSteps = 3, kMoreSteps = 4;
  TempRoot root;
  run_ranks(save_ranks, [&](Context& ctx) {
    Model model(kParameterSizes);
    auto optimizer = make_adamw(model);
    CheckpointState state;
    add_parameters(state, model);
    add_optimizer_state(state, *optimizer, "adamw");  // step 0; synced before the save
    train(model, *optimizer, 0, kSavedSteps);
    sync_optimizer_state(state, *optimizer, "adamw");
    Checkpointer(ctx, root.uri(), test_options()).save(kSavedSteps, state);
  });
  run_ranks(restore_ranks, [&](Context& ctx) {
    // The original, never interrupted.
    Model original(kParameterSizes);
    auto original_optimizer = make_adamw(original);
    train(original, *original_optimizer, 0, kSavedSteps);

    // A fresh job: other initial values, a fresh optimizer, everything from the checkpoint.
    Model resumed(kParameterSizes, /*init_offset=*/5.0f);
    auto resumed_optimizer = make_adamw(resumed);
    CheckpointState state;
    add_parameters(state, resumed);
    add_optimizer_state(state, *resumed_optimizer, "adamw");
    Checkpointer ck(ctx, root.uri(), test_options());
    ASSERT_EQ(ck.restore_latest(state), std::optional<std::int64_t>(kSavedSteps));
    restore_optimizer_state(state, *resumed_optimizer, "adamw");
    EXPECT_EQ(resumed_optimizer->step_count(), kSavedSteps);
    expect_same_values(original, resumed);
    expect_same_state(*original_optimizer, *resumed_optimizer);

    train(original, *original_optimizer, kSavedSteps, kSavedSteps + kMoreSteps);
    train(resumed, *resumed_optimizer, kSavedSteps, kSavedSteps + kMoreSteps);
    expect_same_values(original, resumed);
    expect_same_state(*original_optimizer, *resumed_optimizer);
  });
}

TEST(OptimizerCheckpointState, ResumesBitForBitAtOneRank) { round_trip(1, 1); }
TEST(OptimizerCheckpointState, ResumesBitForBitAtTwoRanks) { round_trip(2, 2); }
TEST(OptimizerCheckpointState, ResumesAtAnotherWorldSize) { round_trip(2, 1); }

TEST(OptimizerCheckpointState, AddsNamedReplicatedTensorsAndTheRecord) {
  Model model(kParameterSizes);
  auto optimizer = make_adamw(model);
  train(model, *optimizer, 0, 2);
  CheckpointState state;
  add_optimizer_state(state, *optimizer, "adamw");
  ASSERT_EQ(state.optimizers().size(), 1u);
  const auto& record = state.optimizers()[0];
  EXPECT_EQ(record.metadata, optimizer->state_dict().metadata);
  EXPECT_EQ(record.metadata.at("step"), "2");
  const optim::StateDict dict = optimizer->state_dict();
  ASSERT_EQ(record.tensors.size(), dict.tensors.size());
  for (std::size_t i = 0; i < dict.tensors.size(); ++i) {
    EXPECT_EQ(record.tensors[i], "adamw/" + dict.tensors[i].name);
    const checkpoint::StateTensor* tensor = state.find(record.tensors[i]);
    ASSERT_NE(tensor, nullptr);
    EXPECT_EQ(tensor->scope, checkpoint::TensorScope::Replicated);
    EXPECT_EQ(std::memcmp(tensor->tensor.data(), dict.tensors[i].bytes.data(), dict.tensors[i].bytes.size()), 0);
  }
  EXPECT_EQ(state.find("adamw/layer2.w/exp_avg_sq")->tensor.shape(), std::vector<std::int64_t>{300});
}

TEST(OptimizerCheckpointState, Errors) {
  Model model(kParameterSizes);
  auto optimizer = make_adamw(model);
  CheckpointState state;
  add_optimizer_state(state, *optimizer, "adamw");

  Error twice = error_from([&] { add_optimizer_state(state, *optimizer, "adamw"); });
  EXPECT_EQ(twice.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(twice.message().find("'adamw' was added twice"), std::string::npos);

  // A clash with a tensor of the program adds nothing.
  CheckpointState clash;
  std::vector<float> own(6);
  clash.add_replicated("opt/layer0.w/exp_avg", Tensor::of(own));
  Error clashed = error_from([&] { add_optimizer_state(clash, *optimizer, "opt"); });
  EXPECT_EQ(clashed.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(clashed.message().find("'opt/layer0.w/exp_avg'"), std::string::npos);
  EXPECT_EQ(clash.tensors().size(), 1u);
  EXPECT_TRUE(clash.optimizers().empty());

  EXPECT_EQ(error_from([&] { sync_optimizer_state(state, *optimizer, "sgd"); }).code(), ErrorCode::NotFound);
  EXPECT_EQ(error_from([&] { restore_optimizer_state(state, *optimizer, "sgd"); }).code(), ErrorCode::NotFound);

  // A state synced from an optimizer over other parameters.
  Model other({6, 5, 301});
  auto other_optimizer = make_adamw(other);
  Error mismatch = error_from([&] { sync_optimizer_state(state, *other_optimizer, "adamw"); });
  EXPECT_EQ(mismatch.code(), ErrorCode::Mismatch);
  EXPECT_NE(mismatch.message().find("'adamw/layer2.w/exp_avg'"), std::string::npos) << mismatch.message();

  // Restoring AdamW state into another kind names the record and keeps load_state_dict's code.
  auto sgd = optim::make_sgd(model.parameters, {.lr = 0.1, .momentum = 0.9});
  Error kind = error_from([&] { restore_optimizer_state(state, *sgd, "adamw"); });
  EXPECT_EQ(kind.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(kind.message().find("optimizer state 'adamw'"), std::string::npos) << kind.message();
}

}  // namespace
}  // namespace ronde::training
