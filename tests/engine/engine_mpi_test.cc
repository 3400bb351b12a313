// The engine across processes under mpirun (real MPI): random per-rank orders, a mismatch, a
// stalled name, and join with uneven batch counts. Registered at 2 and 4 ranks.
#include <gtest/gtest.h>

#include "engine_scenarios.h"
#include "ronde/core/context.h"

namespace ronde::engine_test {
namespace {

Context* g_context = nullptr;  // owned by main(): the binary's single MPI session

TEST(EngineMpi, RandomOrderWithFusion) {
  const Engine::Stats stats = random_order(*g_context, test_options(), 200, 3, 101);
  EXPECT_GT(stats.cache_hits, 0u);
}

TEST(EngineMpi, RandomOrderWithoutFusionOrCache) {
  EngineOptions options = test_options();
  options.fusion_threshold = 0;
  options.cache_capacity = 0;
  random_order(*g_context, options, 120, 2, 102);
}

TEST(EngineMpi, DtypeMismatchReachesEveryRank) {
  std::vector<float> f(3, 1.0f);
  std::vector<double> d(3, 1.0);
  expect_mismatch(*g_context, [&](Engine& engine, int rank) {
    return rank == 1 ? engine.allreduce_async("grad/w", Tensor::of(d), ReduceOp::Sum)
                     : engine.allreduce_async("grad/w", Tensor::of(f), ReduceOp::Sum);
  }, "tensor 'grad/w': dtype differs: ");
}

TEST(EngineMpi, MissingNameTimesOut) { missing_name(*g_context, g_context->size() - 1); }

TEST(EngineMpi, JoinWithUnevenBatches) { join_uneven(*g_context, test_options()); }

}  // namespace
}  // namespace ronde::engine_test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ronde::Context context = ronde::init();
  ronde::engine_test::g_context = &context;
  // Only rank 0 prints GoogleTest's progress; every rank's failures still fail its exit code.
  if (context.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  return RUN_ALL_TESTS();
}
