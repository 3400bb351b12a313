// ronde's collectives under mpirun, checked against Open MPI's own collectives on the same random
// data: integers exactly, floating point within a tolerance that covers a different summation
// order. Run by CTest at 1, 2, 3, 4 and 8 ranks (see CMakeLists.txt).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <numeric>
#include <unistd.h>
#include <random>
#include <string>
#include <vector>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/error.h"
#include "support/mpi_gtest_main.h"

namespace {

ronde::Context& context() { return ronde::testing::mpi_test_context(); }
int rank() { return context().rank(); }
int size() { return context().size(); }
// How errors name rank r: "rank 1 (h2)" with its host.
std::string who(int r) { return context().topology().rank_name(r); }
// Whether this run forces the hierarchical path (the *_hierarchical tests set RONDE_HIERARCHY):
// allreduce signatures in error messages then name it.
bool hierarchical_forced() {
  const char* hierarchy = std::getenv("RONDE_HIERARCHY");
  return hierarchy && std::string(hierarchy) == "hierarchical";
}

// Element counts that stress the chunk and segment arithmetic: empty, tiny, fewer than ranks,
// primes, around segment boundaries (65536 f32 = one 256 KiB segment).
const std::vector<std::size_t> kCounts = {0, 1, 2, 3, 5, 7, 8, 13, 1000, 4099, 65535, 65536, 65537, 196613, 1000003};

template <class T>
std::vector<T> random_values(std::size_t count, unsigned seed) {
  std::mt19937_64 generator(seed * 7919u + static_cast<unsigned>(rank()) * 104729u);
  std::vector<T> values(count);
  for (T& value : values) {
    if constexpr (std::is_floating_point_v<T>) {
      value = std::uniform_real_distribution<T>(-1, 1)(generator);
    } else if constexpr (std::is_same_v<T, std::uint8_t>) {
      value = static_cast<T>(generator() % 4);  // small, so that sums and products stay meaningful
    } else {
      value = static_cast<T>(static_cast<std::int64_t>(generator() % 2001) - 1000);
    }
  }
  return values;
}

template <class T> MPI_Datatype mpi_type();
template <> MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <> MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }
template <> MPI_Datatype mpi_type<std::int32_t>() { return MPI_INT32_T; }
template <> MPI_Datatype mpi_type<std::int64_t>() { return MPI_INT64_T; }
template <> MPI_Datatype mpi_type<std::uint8_t>() { return MPI_UINT8_T; }

MPI_Op mpi_op(ronde::ReduceOp op) {
  switch (op) {
    case ronde::ReduceOp::Sum:
    case ronde::ReduceOp::Average: return MPI_SUM;
    case ronde::ReduceOp::Min: return MPI_MIN;
    case ronde::ReduceOp::Max: return MPI_MAX;
    case ronde::ReduceOp::Product: return MPI_PROD;
  }
  return MPI_SUM;
}

// The reference: MPI_Allreduce, then Average's division as ronde defines it.
template <class T>
std::vector<T> reference_allreduce(const std::vector<T>& input, ronde::ReduceOp op) {
  std::vector<T> expected(input.size());
  MPI_Allreduce(input.data(), expected.data(), static_cast<int>(input.size()), mpi_type<T>(), mpi_op(op), MPI_COMM_WORLD);
  if (op == ronde::ReduceOp::Average) {
    for (T& value : expected) value = static_cast<T>(value / static_cast<T>(size()));
  }
  return expected;
}

template <class T>
void expect_close(const std::vector<T>& actual, const std::vector<T>& expected, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      const T tolerance = static_cast<T>(std::is_same_v<T, float> ? 1e-5 : 1e-12) * static_cast<T>(size()) *
                          std::max<T>(1, std::abs(expected[i]));
      ASSERT_NEAR(actual[i], expected[i], tolerance) << what << " at element " << i;
    } else {
      ASSERT_EQ(actual[i], expected[i]) << what << " at element " << i;
    }
  }
}

template <class T>
void check_allreduce(ronde::ReduceOp op, bool in_place, const std::vector<std::size_t>& counts) {
  ronde::Collectives collectives(context());
  for (std::size_t count : counts) {
    const std::string what = std::string(ronde::to_string(ronde::dtype_of<T>)) + " " +
                             std::string(ronde::to_string(op)) + (in_place ? " in place" : " out of place") +
                             ", count " + std::to_string(count) + ", " + std::to_string(size()) + " ranks";
    std::vector<T> input = random_values<T>(count, static_cast<unsigned>(count));
    if (op == ronde::ReduceOp::Product && std::is_floating_point_v<T>) {
      for (T& value : input) value = static_cast<T>(1 + value / 8);  // keep products near 1
    }
    const std::vector<T> expected = reference_allreduce(input, op);
    std::vector<T> output(count, T{});
    if (in_place) {
      collectives.allreduce(ronde::Tensor::of(input), op);
      expect_close(input, expected, what);
    } else {
      const std::vector<T> original = input;
      collectives.allreduce(ronde::Tensor::of(input), ronde::Tensor::of(output), op);
      expect_close(output, expected, what);
      ASSERT_EQ(input, original) << what << ": the input was modified";
    }
  }
}

constexpr ronde::ReduceOp kOps[] = {ronde::ReduceOp::Sum, ronde::ReduceOp::Average, ronde::ReduceOp::Min,
                                    ronde::ReduceOp::Max, ronde::ReduceOp::Product};

TEST(MpiAllreduce, Float32EveryOpInAndOutOfPlace) {
  for (auto op : kOps) {
    check_allreduce<float>(op, true, kCounts);
    check_allreduce<float>(op, false, kCounts);
  }
}

TEST(MpiAllreduce, Float64EveryOp) {
  for (auto op : kOps) check_allreduce<double>(op, op == ronde::ReduceOp::Sum, kCounts);
}

TEST(MpiAllreduce, IntegersExactEveryOp) {
  for (auto op : kOps) {
    check_allreduce<std::int32_t>(op, true, kCounts);
    check_allreduce<std::int64_t>(op, false, kCounts);
    check_allreduce<std::uint8_t>(op, true, kCounts);
  }
}

TEST(MpiAllreduce, HalfPrecisionSumsSmallIntegersExactly) {
  // Small integers and their sums up to 2048 (f16) / 256 (bf16) are exact, so the comparison can be
  // exact whatever the order of accumulation.
  ronde::Collectives collectives(context());
  for (std::size_t count : kCounts) {
    std::vector<ronde::Half> half(count);
    std::vector<ronde::BFloat16> brain(count);
    std::vector<std::int32_t> reference(count);
    for (std::size_t i = 0; i < count; ++i) {
      reference[i] = static_cast<std::int32_t>((i * 31 + static_cast<std::size_t>(rank()) * 17) % 16);
      half[i] = ronde::float_to_half(static_cast<float>(reference[i]));
      brain[i] = ronde::float_to_bfloat16(static_cast<float>(reference[i]));
    }
    reference = reference_allreduce(reference, ronde::ReduceOp::Sum);
    collectives.allreduce(ronde::Tensor::of(half), ronde::ReduceOp::Sum);
    collectives.allreduce(ronde::Tensor::of(brain), ronde::ReduceOp::Sum);
    for (std::size_t i = 0; i < count; ++i) {
      ASSERT_EQ(ronde::half_to_float(half[i]), static_cast<float>(reference[i])) << "f16 count " << count << " at " << i;
      ASSERT_EQ(ronde::bfloat16_to_float(brain[i]), static_cast<float>(reference[i])) << "bf16 count " << count << " at " << i;
    }
  }
}

TEST(MpiAllreduce, BothAlgorithmsGiveIdenticalBitsOnEveryRank) {
  // Float sums from the ring (computed once, then copied) and from recursive doubling (computed
  // by both partners) must be the same bits on every rank, or replicas drift apart.
  for (std::size_t threshold : {std::size_t{0}, std::size_t{1} << 30}) {
    ronde::Collectives collectives(context(), ronde::CollectiveOptions{.small_allreduce_bytes = threshold});
    for (std::size_t count : {std::size_t{1}, std::size_t{7}, std::size_t{4099}}) {
      std::vector<float> values = random_values<float>(count, 5);
      collectives.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum);
      std::vector<float> first = values;
      MPI_Bcast(first.data(), static_cast<int>(count), MPI_FLOAT, 0, MPI_COMM_WORLD);
      ASSERT_EQ(std::memcmp(first.data(), values.data(), count * sizeof(float)), 0)
          << "rank " << rank() << " differs from rank 0, threshold " << threshold << ", count " << count;
    }
  }
}

TEST(MpiAllreduce, SmallSegmentsAndShallowPipeline) {
  // Many segments per chunk and the minimum pipeline depth exercise the send/receive ordering
  // (on one host through segment_bytes, across hosts through the network segments).
  ronde::Collectives collectives(context(), ronde::CollectiveOptions{.segment_bytes = 64,
                                                                     .pipeline_depth = 2,
                                                                     .network_segment_bytes = 64,
                                                                     .network_in_flight_bytes = 128,
                                                                     .small_allreduce_bytes = 0});
  for (std::size_t count : {std::size_t{1}, std::size_t{17}, std::size_t{1000}, std::size_t{4099}}) {
    std::vector<std::int64_t> values = random_values<std::int64_t>(count, 99);
    const auto expected = reference_allreduce(values, ronde::ReduceOp::Sum);
    collectives.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum);
    ASSERT_EQ(values, expected) << "count " << count;
  }
}

TEST(MpiAllreduce, LargeFloat32Sum) {
  if (!std::getenv("RONDE_TEST_LARGE")) GTEST_SKIP() << "set RONDE_TEST_LARGE=1 (CTest's *_large tests do)";
  const std::size_t count = std::size_t{1} << 26;  // 256 MiB per rank
  ronde::Collectives collectives(context());
  std::vector<float> values = random_values<float>(count, 2026);
  const auto expected = reference_allreduce(values, ronde::ReduceOp::Sum);
  collectives.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum);
  expect_close(values, expected, "2^26 float32 sum");
}

TEST(MpiBroadcast, EveryRootEveryCount) {
  ronde::Collectives collectives(context(), ronde::CollectiveOptions{.segment_bytes = 4096, .pipeline_depth = 3});
  for (int root = 0; root < size(); ++root) {
    for (std::size_t count : kCounts) {
      std::vector<std::int32_t> values = random_values<std::int32_t>(count, static_cast<unsigned>(root + 1));
      std::vector<std::int32_t> expected = values;
      MPI_Bcast(expected.data(), static_cast<int>(count), MPI_INT32_T, root, MPI_COMM_WORLD);
      collectives.broadcast(ronde::Tensor::of(values), root);
      ASSERT_EQ(values, expected) << "root " << root << ", count " << count;
    }
  }
}

TEST(MpiBarrier, NoRankLeavesBeforeAllEnter) {
  // Each rank enters the barrier at a different time and notes when it entered and left; then no
  // rank may have left before the last one entered. The times come from CLOCK_MONOTONIC, which
  // every rank of these tests shares: one host, or the emulated hosts of one machine (the same
  // kernel clock), so the check also holds across hosts without shared memory.
  ronde::Collectives collectives(context());
  auto now_ns = [] {
    timespec time{};
    clock_gettime(CLOCK_MONOTONIC, &time);
    return static_cast<std::int64_t>(time.tv_sec) * 1000000000 + time.tv_nsec;
  };
  for (int round = 0; round < 5; ++round) {
    MPI_Barrier(MPI_COMM_WORLD);
    usleep(static_cast<useconds_t>(((rank() + round) % size()) * 2000));
    std::int64_t times[2] = {now_ns(), 0};
    collectives.barrier();
    times[1] = now_ns();
    std::vector<std::int64_t> all(static_cast<std::size_t>(2 * size()));
    MPI_Allgather(times, 2, MPI_INT64_T, all.data(), 2, MPI_INT64_T, MPI_COMM_WORLD);
    std::int64_t last_entry = 0;
    for (int peer = 0; peer < size(); ++peer) last_entry = std::max(last_entry, all[static_cast<std::size_t>(2 * peer)]);
    for (int peer = 0; peer < size(); ++peer) {
      EXPECT_GE(all[static_cast<std::size_t>(2 * peer + 1)], last_entry)
          << "rank " << peer << " left the barrier before the last rank entered, round " << round;
    }
  }
}

// Each kind of disagreement reaches every rank as a Mismatch error that lists every rank's call.
void expect_mismatch_everywhere(const std::function<void(ronde::Collectives&)>& call, const std::string& needle) {
  ronde::Collectives collectives(context());
  try {
    call(collectives);
    ADD_FAILURE() << "rank " << rank() << ": a disagreement went unnoticed";
  } catch (const ronde::Error& error) {
    EXPECT_EQ(error.code(), ronde::ErrorCode::Mismatch) << error.what();
    EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
  }
  collectives.barrier();  // the group is usable afterwards
}

TEST(MpiErrors, DisagreementsAreReportedOnEveryRankNotHung) {
  if (size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  // Allreduces say which path they were about to take when the hierarchical one is forced.
  const std::string path = hierarchical_forced() ? ", hierarchical" : "";
  std::vector<float> values(rank() == 1 ? 9 : 8, 1.0f);
  expect_mismatch_everywhere([&](auto& c) { c.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum); },
                             who(0) + ": allreduce of 8 f32 (sum" + path + "); " + who(1) + ": allreduce of 9 f32 (sum" + path + ")");
  std::vector<double> doubles(8, 1.0);
  std::vector<float> floats(8, 1.0f);
  expect_mismatch_everywhere([&](auto& c) {
    if (rank() == 0) c.allreduce(ronde::Tensor::of(doubles), ronde::ReduceOp::Sum);
    else c.allreduce(ronde::Tensor::of(floats), ronde::ReduceOp::Sum);
  }, who(0) + ": allreduce of 8 f64 (sum" + path + "); " + who(1) + ": allreduce of 8 f32 (sum" + path + ")");
  expect_mismatch_everywhere([&](auto& c) {
    c.allreduce(ronde::Tensor::of(floats), rank() == 0 ? ronde::ReduceOp::Max : ronde::ReduceOp::Sum);
  }, who(0) + ": allreduce of 8 f32 (max" + path + ")");
  const std::string broadcast_path = hierarchical_forced() ? " (hierarchical)" : "";
  expect_mismatch_everywhere([&](auto& c) { c.broadcast(ronde::Tensor::of(floats), rank() == 0 ? 0 : 1); },
                             who(0) + ": broadcast of 8 f32 from root 0" + broadcast_path + "; " + who(1) +
                                 ": broadcast of 8 f32 from root 1" + broadcast_path);
  expect_mismatch_everywhere([&](auto& c) {
    if (rank() == 0) c.barrier();
    else c.allreduce(ronde::Tensor::of(floats), ronde::ReduceOp::Sum);
  }, who(0) + ": barrier; " + who(1) + ": allreduce");
}

// A small allreduce travels inside the agreement check's messages: a disagreement found there
// leaves every rank's tensor as it was, also when one rank's call is large (the ring's path) or
// its message is larger than the transport's eager limit.
TEST(MpiErrors, SmallAllreduceDisagreementsLeaveTheTensorsUntouched) {
  if (size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  const std::string path = hierarchical_forced() ? ", hierarchical" : "";
  std::vector<float> values(rank() == 1 ? 9 : 8, 2.0f);
  expect_mismatch_everywhere([&](auto& c) { c.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum); },
                             who(0) + ": allreduce of 8 f32 (sum" + path + ")");
  EXPECT_EQ(values, std::vector<float>(rank() == 1 ? 9 : 8, 2.0f));
  std::vector<float> mixed(rank() == 1 ? (1 << 20) : 8, 3.0f);
  expect_mismatch_everywhere([&](auto& c) { c.allreduce(ronde::Tensor::of(mixed), ronde::ReduceOp::Sum); },
                             who(1) + ": allreduce of 1048576 f32 (sum");
  EXPECT_EQ(mixed, std::vector<float>(rank() == 1 ? (1 << 20) : 8, 3.0f));
  std::vector<float> near_limit(rank() == 0 ? 16384 : 8, 4.0f);  // 64 KiB: the largest folded call
  expect_mismatch_everywhere([&](auto& c) { c.allreduce(ronde::Tensor::of(near_limit), ronde::ReduceOp::Sum); },
                             who(0) + ": allreduce of 16384 f32 (sum" + path + ")");
  EXPECT_EQ(near_limit, std::vector<float>(rank() == 0 ? 16384 : 8, 4.0f));
  std::vector<float> other_kind(8, 5.0f);
  expect_mismatch_everywhere([&](auto& c) {
    if (rank() == 0) c.broadcast(ronde::Tensor::of(other_kind), 0);
    else c.allreduce(ronde::Tensor::of(other_kind), ronde::ReduceOp::Sum);
  }, who(0) + ": broadcast of 8 f32 from root 0");
  EXPECT_EQ(other_kind, std::vector<float>(8, 5.0f));
}

TEST(MpiErrors, DifferentSmallAllreduceThresholdsAreAMismatchNotAHang) {
  if (size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  if (hierarchical_forced()) GTEST_SKIP() << "every size is hierarchical here";
  ronde::CollectiveOptions options = ronde::CollectiveOptions::from_env();
  options.small_allreduce_bytes = rank() == 0 ? 0u : 65536u;
  options.hierarchy = ronde::Hierarchy::Flat;  // above the threshold Auto would go hierarchical on rank 0
  ronde::Collectives collectives(context(), options);
  std::vector<float> values(8, 1.0f);
  try {
    collectives.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum);
    ADD_FAILURE() << "rank " << rank() << ": the disagreement went unnoticed";
  } catch (const ronde::Error& error) {
    EXPECT_EQ(error.code(), ronde::ErrorCode::Mismatch) << error.what();
    EXPECT_NE(std::string(error.what()).find("RONDE_SMALL_ALLREDUCE_BYTES"), std::string::npos) << error.what();
  }
  EXPECT_EQ(values, std::vector<float>(8, 1.0f));
  collectives.barrier();
}

TEST(MpiErrors, InvalidArgumentsOnOneRankStopEveryRank) {
  if (size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  ronde::Collectives collectives(context());
  std::vector<float> input(8, 1.0f), output(rank() == 1 ? 7 : 8);
  try {
    collectives.allreduce(ronde::Tensor::of(input), ronde::Tensor::of(output), ronde::ReduceOp::Sum);
    ADD_FAILURE() << "rank " << rank() << " went ahead";
  } catch (const ronde::Error& error) {
    if (rank() == 1) {
      EXPECT_EQ(error.code(), ronde::ErrorCode::InvalidArgument) << error.what();
      EXPECT_NE(std::string(error.what()).find("output has 7"), std::string::npos) << error.what();
    } else {
      EXPECT_EQ(error.code(), ronde::ErrorCode::Mismatch) << error.what();
      EXPECT_NE(std::string(error.what()).find(who(1) + " passed invalid arguments"), std::string::npos) << error.what();
    }
  }
  collectives.barrier();
}

// ---- allgather, reducescatter, alltoall against MPI_Allgatherv, MPI_Reduce_scatter, MPI_Alltoallv --

TEST(MpiAllgather, MatchesAllgathervWithUnevenRows) {
  ronde::Collectives collectives(context(), ronde::CollectiveOptions{.segment_bytes = 4096});
  for (std::int64_t base : {0, 1, 3, 1000, 70000}) {
    const std::int64_t columns = 5;
    const std::int64_t rows = (base + rank() * 3) % (base + 4);  // different per rank, sometimes 0
    std::vector<float> input = random_values<float>(static_cast<std::size_t>(rows * columns), 11);
    std::vector<int> counts(static_cast<std::size_t>(size())), displacements(static_cast<std::size_t>(size()));
    const int mine = static_cast<int>(rows * columns);
    MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    std::exclusive_scan(counts.begin(), counts.end(), displacements.begin(), 0);
    std::vector<float> expected(static_cast<std::size_t>(displacements.back() + counts.back()));
    MPI_Allgatherv(input.data(), mine, MPI_FLOAT, expected.data(), counts.data(), displacements.data(), MPI_FLOAT,
                   MPI_COMM_WORLD);
    std::vector<float> output;
    collectives.allgather(ronde::Tensor(input.data(), ronde::DType::F32, {rows, columns}),
                          [&](const std::vector<std::int64_t>& shape) {
                            output.resize(static_cast<std::size_t>(shape[0] * shape[1]));
                            return ronde::Tensor(output.data(), ronde::DType::F32, shape);
                          });
    ASSERT_EQ(output, expected) << "base " << base;
  }
}

TEST(MpiReducescatter, MatchesReduceScatterEvenAndUneven) {
  ronde::Collectives collectives(context(), ronde::CollectiveOptions{.segment_bytes = 8192});
  for (bool even : {true, false}) {
    for (std::int64_t base : {0, 1, 7, 50000}) {
      std::vector<std::int64_t> splits;
      for (int r = 0; r < size(); ++r) splits.push_back(even ? base : (base + r * 5) % (base + 3));
      const std::int64_t rows = std::accumulate(splits.begin(), splits.end(), std::int64_t{0});
      const std::int64_t columns = 3;
      std::vector<std::int64_t> input = random_values<std::int64_t>(static_cast<std::size_t>(rows * columns), 13);
      std::vector<int> counts;
      for (std::int64_t s : splits) counts.push_back(static_cast<int>(s * columns));
      const std::int64_t mine = splits[static_cast<std::size_t>(rank())];
      std::vector<std::int64_t> expected(static_cast<std::size_t>(mine * columns)), output(expected.size());
      MPI_Reduce_scatter(input.data(), expected.data(), counts.data(), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
      collectives.reducescatter(ronde::Tensor(input.data(), ronde::DType::I64, {rows, columns}),
                                ronde::Tensor(output.data(), ronde::DType::I64, {mine, columns}), ronde::ReduceOp::Sum,
                                splits);
      ASSERT_EQ(output, expected) << (even ? "even" : "uneven") << " base " << base;
    }
  }
}

TEST(MpiAlltoall, MatchesAlltoallv) {
  ronde::Collectives collectives(context());
  for (int base : {0, 1, 4, 3000}) {
    const int columns = 2;
    std::vector<std::int64_t> splits;
    for (int d = 0; d < size(); ++d) splits.push_back((base + rank() + 2 * d) % (base + 3));
    const std::int64_t rows = std::accumulate(splits.begin(), splits.end(), std::int64_t{0});
    std::vector<double> input = random_values<double>(static_cast<std::size_t>(rows * columns), 17);
    std::vector<int> send_counts, send_displacements(static_cast<std::size_t>(size()));
    for (std::int64_t s : splits) send_counts.push_back(static_cast<int>(s * columns));
    std::vector<int> recv_counts(static_cast<std::size_t>(size())), recv_displacements(static_cast<std::size_t>(size()));
    MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    std::exclusive_scan(send_counts.begin(), send_counts.end(), send_displacements.begin(), 0);
    std::exclusive_scan(recv_counts.begin(), recv_counts.end(), recv_displacements.begin(), 0);
    std::vector<double> expected(static_cast<std::size_t>(recv_displacements.back() + recv_counts.back()));
    MPI_Alltoallv(input.data(), send_counts.data(), send_displacements.data(), MPI_DOUBLE, expected.data(),
                  recv_counts.data(), recv_displacements.data(), MPI_DOUBLE, MPI_COMM_WORLD);
    std::vector<double> output;
    const auto received = collectives.alltoall(ronde::Tensor(input.data(), ronde::DType::F64, {rows, columns}), splits,
                                               [&](const std::vector<std::int64_t>& shape) {
                                                 output.resize(static_cast<std::size_t>(shape[0] * shape[1]));
                                                 return ronde::Tensor(output.data(), ronde::DType::F64, shape);
                                               });
    ASSERT_EQ(output, expected) << "base " << base;
    for (int r = 0; r < size(); ++r) ASSERT_EQ(received[static_cast<std::size_t>(r)] * columns, recv_counts[static_cast<std::size_t>(r)]);
  }
}

// Rings across hosts cut their segments below Open MPI's TCP eager limit, which the transport
// reads through MPI_T: it must report what mpirun was told (the cluster tests set
// OMPI_MCA_btl_tcp_eager_limit, or leave the default, and say what to expect).
TEST(MpiTransport, ReportsTheTcpEagerLimit) {
  const char* expected = std::getenv("RONDE_TEST_EXPECT_EAGER_LIMIT");
  if (!expected) GTEST_SKIP() << "set RONDE_TEST_EXPECT_EAGER_LIMIT (the cluster tests do)";
  EXPECT_EQ(context().transport().eager_limit_between_hosts(), std::stoull(expected));
}

TEST(MpiTopology, MatchesMpi) {
  int world_rank = 0, world_size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  const ronde::Topology& topology = context().topology();
  EXPECT_EQ(topology.source, ronde::TopologySource::Mpi);
  EXPECT_EQ(rank(), world_rank);
  EXPECT_EQ(size(), world_size);

  // The truth, found independently: every rank's processor name, gathered. Ranks of one host are
  // local to each other (numbered in rank order); hosts are numbered in the order of their first rank.
  constexpr int kName = MPI_MAX_PROCESSOR_NAME;
  std::vector<char> mine(kName, '\0'), all(static_cast<std::size_t>(world_size) * kName);
  int length = 0;
  MPI_Get_processor_name(mine.data(), &length);
  MPI_Allgather(mine.data(), kName, MPI_CHAR, all.data(), kName, MPI_CHAR, MPI_COMM_WORLD);
  std::vector<std::string> names;
  for (int r = 0; r < world_size; ++r) names.emplace_back(&all[static_cast<std::size_t>(r) * kName]);
  int local_rank = 0, local_size = 0;
  std::vector<std::string> hosts_in_order;
  for (int r = 0; r < world_size; ++r) {
    if (names[static_cast<std::size_t>(r)] == names[static_cast<std::size_t>(world_rank)]) {
      if (r < world_rank) ++local_rank;
      ++local_size;
    }
    if (std::find(hosts_in_order.begin(), hosts_in_order.end(), names[static_cast<std::size_t>(r)]) == hosts_in_order.end()) {
      hosts_in_order.push_back(names[static_cast<std::size_t>(r)]);
    }
  }
  EXPECT_EQ(topology.local_rank, local_rank);
  EXPECT_EQ(topology.local_size, local_size);
  EXPECT_EQ(topology.host, names[static_cast<std::size_t>(world_rank)].substr(0, 63));
  ASSERT_EQ(topology.hosts.size(), static_cast<std::size_t>(world_size));
  for (int r = 0; r < world_size; ++r) {
    EXPECT_EQ(topology.hosts[static_cast<std::size_t>(r)], names[static_cast<std::size_t>(r)].substr(0, 63)) << "rank " << r;
  }
  // With the same number of ranks on every host, cross = this host's index among the hosts.
  if (world_size % local_size == 0 && static_cast<int>(hosts_in_order.size()) * local_size == world_size) {
    const auto index = std::find(hosts_in_order.begin(), hosts_in_order.end(), names[static_cast<std::size_t>(world_rank)]) -
                       hosts_in_order.begin();
    EXPECT_EQ(topology.cross_size, static_cast<int>(hosts_in_order.size()));
    EXPECT_EQ(topology.cross_rank, static_cast<int>(index));
  }
  // The cluster tests say how many hosts the job spans: the topology must see exactly that many.
  if (const char* expected = std::getenv("RONDE_TEST_EXPECT_HOSTS")) {
    EXPECT_EQ(static_cast<int>(hosts_in_order.size()), std::atoi(expected));
    EXPECT_EQ(topology.cross_size, std::atoi(expected));
  }
}

}  // namespace
