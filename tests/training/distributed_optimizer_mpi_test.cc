// The gradient path under mpirun (CTest runs it at 2 and 4 ranks): broadcast_parameters, then
// DistributedOptimizer steps with each rank's own gradients marked in its own order, over the
// real MPI transport; every rank must end each step with the parameters of one optimizer stepped
// on the averaged gradient, bit for bit, and broadcast_optimizer_state must leave every rank with
// root's state.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ronde/allreduce/engine.h"
#include "ronde/core/context.h"
#include "ronde/training/distributed_optimizer.h"
#include "support/mpi_gtest_main.h"
#include "training/reference_model.h"

namespace {

using namespace ronde::training;

TEST(DistributedOptimizerMpiTest, StepsMatchTheAveragedReference) {
  ronde::Context& ctx = ronde::testing::mpi_test_context();
  constexpr int kSteps = 4;
  const int ranks = ctx.size();
  Model reference(kSizes);
  auto reference_opt = make_adam(reference);

  ronde::Engine engine(ctx);
  Model model(kSizes, static_cast<float>(ctx.rank()));
  broadcast_parameters(engine, model.parameters, ranks - 1);
  ASSERT_EQ(model.values, Model(kSizes, static_cast<float>(ranks - 1)).values);
  // The reference starts from the same values.
  reference.values = model.values;

  auto opt = make_adam(model);
  DistributedOptimizerOptions options;
  options.bucket_bytes = 8 * 1024;
  DistributedOptimizer dopt(engine, *opt, options);
  for (int step = 0; step < kSteps; ++step) {
    fill_gradients(model, ctx.rank(), step);
    for (std::size_t index : mark_order(ctx.rank(), kSizes.size(), step)) dopt.mark_ready(index);
    dopt.step();
    fill_average(reference, ranks, step);
    reference_opt->step();
    // Exact for power-of-two rank counts (the averages are exact); otherwise within rounding.
    if ((ranks & (ranks - 1)) == 0) {
      ASSERT_EQ(model.values, reference.values) << "rank " << ctx.rank() << " step " << step;
    } else {
      for (std::size_t p = 0; p < kSizes.size(); ++p) {
        for (std::size_t i = 0; i < kSizes[p]; ++i) ASSERT_NEAR(model.values[p][i], reference.values[p][i], 1e-5f);
      }
    }
  }

  // A fresh optimizer on every other rank takes the last rank's trained state (which, after the
  // identical steps above, every rank's trained optimizer holds too).
  const int root = ranks - 1;
  Model other(kSizes);
  auto fresh = make_adam(other);
  ronde::optim::Optimizer& target = ctx.rank() == root ? *opt : *fresh;
  broadcast_optimizer_state(engine, target, root);
  EXPECT_EQ(target.step_count(), kSteps);
  const auto mine = target.state_dict();
  const auto theirs = opt->state_dict();
  ASSERT_EQ(mine.tensors.size(), theirs.tensors.size());
  for (std::size_t t = 0; t < mine.tensors.size(); ++t) {
    EXPECT_TRUE(mine.tensors[t].bytes == theirs.tensors[t].bytes) << mine.tensors[t].name;
  }
}

}  // namespace
