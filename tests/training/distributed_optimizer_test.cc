// DistributedOptimizer and the broadcasts, with ranks as threads (each with its own Engine over the
// in-process transport): after each step every rank holds the same parameters, equal bit for bit to
// one optimizer stepped on the averaged gradient; marks in different orders and from several
// threads; the errors; broadcast_parameters and broadcast_optimizer_state.
#include "ronde/training/distributed_optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ronde/allreduce/engine.h"
#include "ronde/core/error.h"
#include "ronde/optim/optimizer.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"
#include "training/reference_model.h"

namespace ronde::training {
namespace {

using ronde::testing::error_from;
using ronde::testing::run_ranks;

EngineOptions engine_options() {
  EngineOptions options;
  options.cycle_time = std::chrono::microseconds(500);
  options.stall_check = std::chrono::seconds(0);
  return options;
}

DistributedOptimizerOptions small_buckets() {
  DistributedOptimizerOptions options;
  options.bucket_bytes = 8 * 1024;
  return options;
}

TEST(DistributedOptimizerTest, BucketsFollowReverseParameterOrder) {
  run_ranks(1, [](Context& ctx) {
    Engine engine(ctx, engine_options());
    Model model({100, 100, 3000, 50, 50, 50});  // bytes: 400 400 12000 200 200 200
    auto opt = make_adam(model);
    DistributedOptimizerOptions options;
    options.bucket_bytes = 600;
    DistributedOptimizer dopt(engine, *opt, options);
    const std::vector<std::vector<std::size_t>> expected = {{5, 4, 3}, {2}, {1}, {0}};
    EXPECT_EQ(dopt.buckets(), expected);

    options.bucket_bytes = 0;
    DistributedOptimizer one_each(engine, *opt, options);
    EXPECT_EQ(one_each.buckets().size(), 6u);

    options.bucket_bytes = 1 << 20;
    options.name_prefix = "other/";
    DistributedOptimizer one_bucket(engine, *opt, options);
    const std::vector<std::vector<std::size_t>> all = {{5, 4, 3, 2, 1, 0}};
    EXPECT_EQ(one_bucket.buckets(), all);
  });
}

TEST(DistributedOptimizerTest, BucketBytesFromEnvironment) {
  EXPECT_EQ(DistributedOptimizerOptions::from_env(testing::env_of({{"RONDE_BUCKET_BYTES", "4M"}})).bucket_bytes,
            4u << 20);
  EXPECT_EQ(DistributedOptimizerOptions::from_env(testing::env_of({})).bucket_bytes, 25u << 20);
  EXPECT_EQ(error_from([] { DistributedOptimizerOptions::from_env(testing::env_of({{"RONDE_BUCKET_BYTES", "lots"}})); })
                .code(),
            ErrorCode::InvalidArgument);
}

// Every rank ends each step with the parameters of a single optimizer stepped on the average.
void check_training_matches_reference(int ranks, const DistributedOptimizerOptions& options, bool threaded_marks) {
  constexpr int kSteps = 3;
  Model reference(kSizes);
  auto reference_opt = make_adam(reference);
  std::vector<std::vector<std::vector<float>>> expected;  // [step][parameter][element]
  for (int step = 0; step < kSteps; ++step) {
    fill_average(reference, ranks, step);
    reference_opt->step();
    expected.push_back(reference.values);
  }

  run_ranks(ranks, [&](Context& ctx) {
    Engine engine(ctx, engine_options());
    // Different initial values on every rank; broadcast_parameters makes them root's.
    Model model(kSizes, static_cast<float>(ctx.rank()));
    Model root_init(kSizes, 0.0f);
    broadcast_parameters(engine, model.parameters, 0);
    ASSERT_EQ(model.values, root_init.values);

    auto opt = make_adam(model);
    DistributedOptimizer dopt(engine, *opt, options);
    for (int step = 0; step < kSteps; ++step) {
      fill_gradients(model, ctx.rank(), step);
      const auto order = mark_order(ctx.rank(), kSizes.size(), step);
      if (threaded_marks) {
        // As an autograd engine with several threads would: marks from three threads at once.
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < 3; ++t) {
          threads.emplace_back([&, t] {
            for (std::size_t k = t; k < order.size(); k += 3) dopt.mark_ready(model.parameters[order[k]].name);
          });
        }
        for (auto& thread : threads) thread.join();
      } else {
        for (std::size_t index : order) dopt.mark_ready(index);
      }
      dopt.step();
      for (std::size_t p = 0; p < kSizes.size(); ++p) {
        ASSERT_EQ(model.values[p], expected[static_cast<std::size_t>(step)][p])
            << "rank " << ctx.rank() << " step " << step << " parameter " << p;
      }
    }
    EXPECT_EQ(opt->step_count(), kSteps);
  });
}

TEST(DistributedOptimizerTest, TwoRanksMatchSingleProcessReference) {
  check_training_matches_reference(2, small_buckets(), false);
}

TEST(DistributedOptimizerTest, FourRanksMarkingInDifferentOrdersMatchReference) {
  check_training_matches_reference(4, small_buckets(), false);
}

TEST(DistributedOptimizerTest, OneBucketPerGradientAndOneForAll) {
  DistributedOptimizerOptions options;
  options.bucket_bytes = 0;
  check_training_matches_reference(2, options, false);
  options.bucket_bytes = 64 << 20;
  check_training_matches_reference(2, options, false);
}

TEST(DistributedOptimizerTest, MarksFromSeveralThreads) {
  check_training_matches_reference(4, small_buckets(), true);
}

TEST(DistributedOptimizerTest, CompressionIsPassedToTheEngine) {
  // The gradients are multiples of 1/8 below 8: exact in f16 and bf16, so the result is exact too.
  DistributedOptimizerOptions options = small_buckets();
  options.compression = Compression::Float16;
  check_training_matches_reference(2, options, false);
  options.compression = Compression::BFloat16;
  check_training_matches_reference(2, options, false);
}

// Buckets go to the engine while backward still runs, in their fixed order: a complete later
// bucket waits for the earlier ones; a complete first bucket is reduced before step() is called.
TEST(DistributedOptimizerTest, BucketsLaunchInOrderBeforeStep) {
  run_ranks(2, [](Context& ctx) {
    Engine engine(ctx, engine_options());
    Model model(kSizes);
    auto opt = make_adam(model);
    DistributedOptimizer dopt(engine, *opt, small_buckets());
    const auto& buckets = dopt.buckets();
    ASSERT_GE(buckets.size(), 3u);
    fill_gradients(model, ctx.rank(), 0);
    auto completed = [&] { return engine.stats().operations; };

    for (std::size_t index : buckets[1]) dopt.mark_ready(index);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(completed(), 0u) << "bucket 1 ran before bucket 0 was complete";

    for (std::size_t index : buckets[0]) dopt.mark_ready(index);
    const std::size_t launched = buckets[0].size() + buckets[1].size();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (completed() < launched && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(completed(), launched) << "buckets 0 and 1 were not reduced before step()";

    for (std::size_t b = 2; b < buckets.size(); ++b) {
      for (std::size_t index : buckets[b]) dopt.mark_ready(index);
    }
    dopt.step();
    EXPECT_EQ(completed(), kSizes.size());
  });
}

TEST(DistributedOptimizerTest, MarkingTwiceNamesTheParameter) {
  run_ranks(2, [](Context& ctx) {
    Engine engine(ctx, engine_options());
    Model model(kSizes);
    auto opt = make_adam(model);
    DistributedOptimizer dopt(engine, *opt, small_buckets());
    fill_gradients(model, ctx.rank(), 0);
    dopt.mark_ready(std::size_t{2});
    const Error error = error_from([&] { dopt.mark_ready("layer2.w"); });
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(error.message().find("'layer2.w'"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("twice"), std::string::npos) << error.message();
    // The step goes on: mark the rest and step.
    for (std::size_t p = 0; p < kSizes.size(); ++p) {
      if (p != 2) dopt.mark_ready(p);
    }
    dopt.step();
    EXPECT_EQ(opt->step_count(), 1);
  });
}

TEST(DistributedOptimizerTest, StepWithUnmarkedGradientsNamesThem) {
  run_ranks(2, [](Context& ctx) {
    Engine engine(ctx, engine_options());
    Model model(kSizes);
    auto opt = make_adam(model);
    DistributedOptimizer dopt(engine, *opt, small_buckets());
    fill_gradients(model, ctx.rank(), 0);
    for (std::size_t p = 0; p < kSizes.size(); ++p) {
      if (p != 1 && p != 4) dopt.mark_ready(p);
    }
    const Error error = error_from([&] { dopt.step(); });
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(error.message().find("'layer1.w'"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("'layer4.w'"), std::string::npos) << error.message();
    EXPECT_EQ(error.message().find("'layer0.w'"), std::string::npos) << error.message();
    EXPECT_EQ(opt->step_count(), 0);
    // Nothing was lost: the missing marks complete the step.
    dopt.mark_ready("layer1.w");
    dopt.mark_ready("layer4.w");
    dopt.step();
    EXPECT_EQ(opt->step_count(), 1);
  });
}

TEST(DistributedOptimizerTest, UnknownParametersAreErrors) {
  run_ranks(1, [](Context& ctx) {
    Engine engine(ctx, engine_options());
    Model model(kSizes);
    auto opt = make_adam(model);
    DistributedOptimizer dopt(engine, *opt, small_buckets());
    const Error by_name = error_from([&] { dopt.mark_ready("nope.w"); });
    EXPECT_EQ(by_name.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(by_name.message().find("'nope.w'"), std::string::npos) << by_name.message();
    const Error by_index = error_from([&] { dopt.mark_ready(kSizes.size()); });
    EXPECT_EQ(by_index.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(by_index.message().find(std::to_string(kSizes.size())), std::string::npos) << by_index.message();
  });
}

// A gradient whose shape differs between ranks: the engine's Mismatch comes out of step() on
// every rank, and the optimizer has not stepped.
TEST(DistributedOptimizerTest, EngineErrorsComeOutOfStep) {
  run_ranks(2, [](Context& ctx) {
    Engine engine(ctx, engine_options());
    std::vector<std::size_t> sizes = kSizes;
    if (ctx.rank() == 1) sizes[3] += 1;
    Model model(sizes);
    auto opt = make_adam(model);
    DistributedOptimizer dopt(engine, *opt, small_buckets());
    for (std::size_t p = 0; p < sizes.size(); ++p) dopt.mark_ready(p);
    const Error error = error_from([&] { dopt.step(); });
    EXPECT_EQ(error.code(), ErrorCode::Mismatch) << error.what();
    EXPECT_NE(error.message().find("layer3.w"), std::string::npos) << error.message();
    EXPECT_EQ(opt->step_count(), 0);
  });
}

TEST(DistributedOptimizerTest, BroadcastParametersFromAnyRoot) {
  run_ranks(3, [](Context& ctx) {
    Engine engine(ctx, engine_options());
    Model model(kSizes, static_cast<float>(ctx.rank() * 10));
    broadcast_parameters(engine, model.parameters, 2);
    EXPECT_EQ(model.values, Model(kSizes, 20.0f).values);
  });
}

void expect_same_state(const optim::StateDict& a, const optim::StateDict& b) {
  EXPECT_EQ(a.metadata, b.metadata);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (std::size_t t = 0; t < a.tensors.size(); ++t) {
    EXPECT_EQ(a.tensors[t].name, b.tensors[t].name);
    EXPECT_EQ(a.tensors[t].shape, b.tensors[t].shape);
    EXPECT_TRUE(a.tensors[t].bytes == b.tensors[t].bytes) << a.tensors[t].name;
  }
}

// What the root of the next test holds: an optimizer that took three steps at lr 0.005 on its own
// gradients (as after restoring a checkpoint that only it read).
void train_as_root(Model& model, optim::Optimizer& opt, int root) {
  opt.set_lr(0.005);
  for (int step = 0; step < 3; ++step) {
    fill_gradients(model, root, step);
    opt.step();
  }
}

TEST(DistributedOptimizerTest, BroadcastOptimizerStateContinuesIdentically) {
  constexpr int kRanks = 4, kRoot = 3;
  // Computed alone: root's state after its three steps, then one step on the average of step 7.
  Model expected(kSizes, static_cast<float>(kRoot));
  auto expected_opt = make_adam(expected);
  train_as_root(expected, *expected_opt, kRoot);
  const optim::StateDict root_state = expected_opt->state_dict();
  fill_average(expected, kRanks, 7);
  expected_opt->step();

  run_ranks(kRanks, [&](Context& ctx) {
    Engine engine(ctx, engine_options());
    Model model(kSizes, static_cast<float>(ctx.rank()));
    auto opt = make_adam(model);
    if (ctx.rank() == kRoot) train_as_root(model, *opt, kRoot);
    broadcast_parameters(engine, model.parameters, kRoot);
    broadcast_optimizer_state(engine, *opt, kRoot);
    {
      SCOPED_TRACE("after the broadcast, rank " + std::to_string(ctx.rank()));
      expect_same_state(opt->state_dict(), root_state);
    }
    EXPECT_EQ(opt->step_count(), 3);
    EXPECT_EQ(opt->lr(), 0.005);

    DistributedOptimizer dopt(engine, *opt, small_buckets());
    fill_gradients(model, ctx.rank(), 7);
    for (std::size_t p = 0; p < kSizes.size(); ++p) dopt.mark_ready(p);
    dopt.step();
    EXPECT_EQ(model.values, expected.values) << "rank " << ctx.rank();
    SCOPED_TRACE("after the next step, rank " + std::to_string(ctx.rank()));
    expect_same_state(opt->state_dict(), expected_opt->state_dict());
  });
}

TEST(DistributedOptimizerTest, BroadcastOptimizerStateOfAnotherKindIsAnError) {
  run_ranks(2, [](Context& ctx) {
    Engine engine(ctx, engine_options());
    Model model(kSizes);
    std::unique_ptr<optim::Optimizer> opt =
        ctx.rank() == 0 ? make_adam(model) : optim::make_sgd(model.parameters, {.lr = 0.1, .momentum = 0.9});
    if (ctx.rank() == 0) {
      EXPECT_NO_THROW(broadcast_optimizer_state(engine, *opt, 0));
    } else {
      EXPECT_EQ(error_from([&] { broadcast_optimizer_state(engine, *opt, 0); }).code(), ErrorCode::InvalidArgument);
    }
  });
}

}  // namespace
}  // namespace ronde::training
