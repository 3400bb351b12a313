// The engine across processes under mpirun (real MPI): random per-rank orders, a mismatch, a
// stalled name, and join with uneven batch counts. Registered at 2 and 4 ranks.
#include <gtest/gtest.h>

#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "engine_scenarios.h"
#include "ronde/core/context.h"
#include "support/mpi_gtest_main.h"

namespace ronde::engine_test {

using ronde::testing::mpi_test_context;

namespace {

TEST(EngineMpi, RandomOrderWithFusion) {
  const Engine::Stats stats = random_order(mpi_test_context(), test_options(), 200, 3, 101);
  EXPECT_GT(stats.cache_hits, 0u);
}

TEST(EngineMpi, RandomOrderWithoutFusionOrCache) {
  EngineOptions options = test_options();
  options.fusion_threshold = 0;
  options.cache_capacity = 0;
  random_order(mpi_test_context(), options, 120, 2, 102);
}

TEST(EngineMpi, DtypeMismatchReachesEveryRank) {
  std::vector<float> f(3, 1.0f);
  std::vector<double> d(3, 1.0);
  expect_mismatch(mpi_test_context(), [&](Engine& engine, int rank) {
    return rank == 1 ? engine.allreduce_async("grad/w", Tensor::of(d), ReduceOp::Sum)
                     : engine.allreduce_async("grad/w", Tensor::of(f), ReduceOp::Sum);
  }, "tensor 'grad/w': dtype differs: ");
}

// Every field the ranks must agree on, disagreed by the last rank alone: every rank gets the
// same Mismatch naming the tensor, the field, and the ranks on each side with their hosts.
TEST(EngineMpi, EveryMismatchKindNamesTheTensorTheRanksAndTheirHosts) {
  const int size = mpi_test_context().size(), odd = size - 1;
  if (size < 2) GTEST_SKIP() << "needs at least 2 ranks";
  const Topology& topology = mpi_test_context().topology();
  std::vector<int> others(static_cast<std::size_t>(size - 1));
  std::iota(others.begin(), others.end(), 0);
  const std::string sides = topology.ranks_phrase(others);
  const std::string odd_one = topology.rank_name(odd);
  std::vector<float> three(3, 1.0f), four(4, 1.0f);
  std::vector<double> doubles(3, 1.0);
  struct Case {
    const char* field;
    std::function<Handle(Engine&, bool)> call;  // bool: this rank is the odd one
  };
  const std::vector<Case> cases = {
      {"dtype", [&](Engine& e, bool o) { return o ? e.allreduce_async("grad/w", Tensor::of(doubles), ReduceOp::Sum)
                                                  : e.allreduce_async("grad/w", Tensor::of(three), ReduceOp::Sum); }},
      {"shape", [&](Engine& e, bool o) { return e.allreduce_async("grad/w", Tensor::of(o ? four : three), ReduceOp::Sum); }},
      {"reduce op", [&](Engine& e, bool o) { return e.allreduce_async("grad/w", Tensor::of(three), o ? ReduceOp::Max : ReduceOp::Sum); }},
      {"operation", [&](Engine& e, bool o) { return o ? e.broadcast_async("grad/w", Tensor::of(three), 0)
                                                      : e.allreduce_async("grad/w", Tensor::of(three), ReduceOp::Sum); }},
      {"root", [&](Engine& e, bool o) { return e.broadcast_async("grad/w", Tensor::of(three), o ? 1 : 0); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    expect_mismatch(mpi_test_context(), [&](Engine& engine, int rank) { return c.call(engine, rank == odd); },
                    "tensor 'grad/w': " + std::string(c.field) + " differs: ");
    // The same call again, to read the whole message: both sides named with their hosts.
    Engine engine(mpi_test_context(), test_options());
    const Error error = error_from([&] { c.call(engine, mpi_test_context().rank() == odd).wait(); });
    EXPECT_NE(error.message().find(sides + " "), std::string::npos) << error.what();
    EXPECT_NE(error.message().find(odd_one + " "), std::string::npos) << error.what();
    if (!topology.host.empty()) EXPECT_NE(error.message().find("(" + topology.hosts[0] + ")"), std::string::npos) << error.what();
  }
}

TEST(EngineMpi, MissingNameTimesOut) { missing_name(mpi_test_context(), mpi_test_context().size() - 1); }

TEST(EngineMpi, JoinWithUnevenBatches) { join_uneven(mpi_test_context(), test_options()); }

}  // namespace
}  // namespace ronde::engine_test
