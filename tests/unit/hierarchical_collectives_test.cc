// The hierarchical allreduce (shared memory within a host, one ring per local rank across hosts)
// on thread ranks that say they run on several hosts, against references from every rank's input
// and against the flat ring's bits.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/error.h"
#include "support/reference_values.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"

namespace {

using ronde::Collectives;
using ronde::CollectiveOptions;
using ronde::Context;
using ronde::Hierarchy;
using ronde::ReduceOp;
using ronde::Tensor;
using ronde::testing::expected_of;
using ronde::testing::input_of;
using ronde::testing::run_ranks_on_hosts;

// `hosts` hosts of `per_host` ranks; ranks placed host by host ("a a b b") or round robin ("a b a b").
std::vector<std::string> layout(int hosts, int per_host, bool round_robin = false) {
  std::vector<std::string> names;
  for (int r = 0; r < hosts * per_host; ++r) names.push_back("h" + std::to_string(round_robin ? r % hosts : r / per_host));
  return names;
}

// Tiny slots and segments, so that small buffers already take many rounds and ring segments.
CollectiveOptions forced(std::size_t slot_bytes = 64) {
  return CollectiveOptions{.segment_bytes = 48, .pipeline_depth = 3, .network_segment_bytes = 48,
                           .network_in_flight_bytes = 144, .small_allreduce_bytes = 0,
                           .hierarchy = Hierarchy::Hierarchical, .shared_slot_bytes = slot_bytes};
}

struct LayoutCase {
  int hosts;
  int per_host;
  bool round_robin = false;
};

class HierarchicalAllreduce : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(HierarchicalAllreduce, MatchesReferenceForEveryCountAndOp) {
  const LayoutCase param = GetParam();
  const int ranks = param.hosts * param.per_host;
  const std::vector<std::size_t> counts = {0, 1, 2, 3, 7, 8, 9, 17, 64, 100, 257, 1009, 4099};
  for (bool in_place : {true, false}) {
    run_ranks_on_hosts(layout(param.hosts, param.per_host, param.round_robin), [&](Context& context) {
      Collectives collectives(context, forced());
      // One object for every call: the slots' round parity carries over between calls.
      for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Average, ReduceOp::Min, ReduceOp::Max, ReduceOp::Product}) {
        for (std::size_t count : counts) {
          std::vector<std::int64_t> input = input_of(context.rank(), count);
          std::vector<std::int64_t> output(count, 0);
          if (in_place) {
            collectives.allreduce(Tensor::of(input), op);
            output = input;
          } else {
            collectives.allreduce(Tensor::of(input), Tensor::of(output), op);
            ASSERT_EQ(input, input_of(context.rank(), count)) << "input modified";
          }
          ASSERT_EQ(output, expected_of(ranks, count, op))
              << "rank " << context.rank() << " count " << count << " op " << ronde::to_string(op);
        }
      }
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, HierarchicalAllreduce,
                         ::testing::Values(LayoutCase{1, 1}, LayoutCase{1, 2}, LayoutCase{1, 3}, LayoutCase{2, 1},
                                           LayoutCase{2, 2}, LayoutCase{2, 3}, LayoutCase{3, 2}, LayoutCase{4, 2},
                                           LayoutCase{2, 4}, LayoutCase{2, 2, true}, LayoutCase{3, 2, true}),
                         [](const auto& info) {
                           return std::to_string(info.param.hosts) + "x" + std::to_string(info.param.per_host) +
                                  (info.param.round_robin ? "_round_robin" : "");
                         });

// Allgather: ranks contribute different row counts (some none); the rows arrive in rank order
// whatever the placement, and allreduces in between keep the slots' rounds in step.
TEST_P(HierarchicalAllreduce, AllgatherMatchesReferenceForUnevenRows) {
  const LayoutCase param = GetParam();
  const int ranks = param.hosts * param.per_host;
  run_ranks_on_hosts(layout(param.hosts, param.per_host, param.round_robin), [&](Context& context) {
    Collectives collectives(context, forced());
    for (std::int64_t scale : {0, 1, 5, 40}) {
      auto rows_for = [&](int rank) { return scale * ((rank * 7 + 3) % 5); };  // includes zero rows
      std::vector<std::int64_t> mine = input_of(context.rank(), static_cast<std::size_t>(rows_for(context.rank()) * 3));
      std::vector<std::int64_t> output;
      const auto first_dims = collectives.allgather(
          Tensor(mine.data(), ronde::DType::I64, {rows_for(context.rank()), 3}),
          [&](const std::vector<std::int64_t>& shape) {
            output.resize(static_cast<std::size_t>(shape[0] * shape[1]));
            return Tensor(output.data(), ronde::DType::I64, shape);
          });
      std::vector<std::int64_t> expected;
      for (int r = 0; r < ranks; ++r) {
        ASSERT_EQ(first_dims[static_cast<std::size_t>(r)], rows_for(r));
        const auto part = input_of(r, static_cast<std::size_t>(rows_for(r) * 3));
        expected.insert(expected.end(), part.begin(), part.end());
      }
      ASSERT_EQ(output, expected) << "rank " << context.rank() << " scale " << scale;
      std::vector<std::int64_t> data = input_of(context.rank(), 77);
      collectives.allreduce(Tensor::of(data), ReduceOp::Sum);
      ASSERT_EQ(data, expected_of(ranks, 77, ReduceOp::Sum));
    }
  });
}

// Broadcast: every root (so every position and host), buffers of zero to many slots' worth (the
// tiny slots make many rounds and pieces that do not divide the buffer), allreduces in between.
TEST_P(HierarchicalAllreduce, BroadcastFromEveryRoot) {
  const LayoutCase param = GetParam();
  const int ranks = param.hosts * param.per_host;
  run_ranks_on_hosts(layout(param.hosts, param.per_host, param.round_robin), [&](Context& context) {
    Collectives collectives(context, forced());
    for (int root = 0; root < ranks; ++root) {
      for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{1003}}) {
        std::vector<std::int64_t> data = input_of(context.rank(), count);
        collectives.broadcast(Tensor::of(data), root);
        ASSERT_EQ(data, input_of(root, count)) << "rank " << context.rank() << " root " << root << " count " << count;
      }
      std::vector<std::int64_t> data = input_of(context.rank(), 33);
      collectives.allreduce(Tensor::of(data), ReduceOp::Sum);
      ASSERT_EQ(data, expected_of(ranks, 33, ReduceOp::Sum));
    }
  });
}

// Floating point: every rank gets the same bits (each element is combined once and then copied),
// and slot sizes that are not a multiple of the element size or of the share count still work.
TEST(HierarchicalAllreduce, FloatResultsAreTheSameBitsOnEveryRank) {
  const std::size_t count = 10007;
  for (std::size_t slot_bytes : {std::size_t{64}, std::size_t{1000}, std::size_t{1} << 20}) {
    std::vector<std::vector<float>> results(6);
    run_ranks_on_hosts(layout(3, 2), [&](Context& context) {
      Collectives collectives(context, forced(slot_bytes));
      std::mt19937 generator(static_cast<unsigned>(context.rank()) + 7u);
      std::uniform_real_distribution<float> value(-1.0f, 1.0f);
      std::vector<float> data(count);
      for (auto& x : data) x = value(generator);
      collectives.allreduce(Tensor::of(data), ReduceOp::Average);
      results[static_cast<std::size_t>(context.rank())] = data;
    });
    for (std::size_t r = 1; r < results.size(); ++r) {
      ASSERT_EQ(0, std::memcmp(results[0].data(), results[r].data(), count * sizeof(float)))
          << "rank " << r << " slot " << slot_bytes;
    }
  }
}

// Auto takes the hierarchical path only with several hosts of several ranks and above the small
// size; the results are the same either way.
TEST(HierarchicalAllreduce, AutoAndFlatAgreeOnTheResult) {
  for (Hierarchy hierarchy : {Hierarchy::Auto, Hierarchy::Flat}) {
    run_ranks_on_hosts(layout(2, 2), [&](Context& context) {
      Collectives collectives(context, CollectiveOptions{.small_allreduce_bytes = 1024, .hierarchy = hierarchy,
                                                         .shared_slot_bytes = 4096});
      for (std::size_t count : {std::size_t{10}, std::size_t{5000}}) {
        std::vector<std::int64_t> data = input_of(context.rank(), count);
        collectives.allreduce(Tensor::of(data), ReduceOp::Sum);
        ASSERT_EQ(data, expected_of(4, count, ReduceOp::Sum)) << "count " << count;
      }
    });
  }
}

// Forcing it on hosts with different rank counts is an error naming them; Auto runs the flat ring.
TEST(HierarchicalAllreduce, AnUnevenLayoutCannotBeForced) {
  const std::vector<std::string> uneven = {"h0", "h0", "h1"};
  run_ranks_on_hosts(uneven, [&](Context& context) {
    const ronde::Error error = ronde::testing::error_from([&] { Collectives collectives(context, forced()); });
    EXPECT_EQ(error.code(), ronde::ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(error.what()).find("host h0 runs 2 rank(s) but host h1 runs 1"), std::string::npos)
        << error.what();
    Collectives automatic(context, CollectiveOptions{.small_allreduce_bytes = 0});
    std::vector<std::int64_t> data = input_of(context.rank(), 100);
    automatic.allreduce(Tensor::of(data), ReduceOp::Max);
    EXPECT_EQ(data, expected_of(3, 100, ReduceOp::Max));
  });
}

// Ranks that disagree about the path (RONDE_HIERARCHY set differently) get Error(Mismatch) that
// says so on every rank, instead of entering different algorithms and hanging.
TEST(HierarchicalAllreduce, RanksThatDisagreeAboutThePathGetAMismatch) {
  run_ranks_on_hosts(layout(2, 2), [&](Context& context) {
    CollectiveOptions options = forced();
    if (context.rank() == 3) options.hierarchy = Hierarchy::Flat;
    Collectives collectives(context, options);
    std::vector<std::int64_t> data = input_of(context.rank(), 100);
    const std::vector<std::int64_t> before = data;
    const ronde::Error error = ronde::testing::error_from([&] { collectives.allreduce(Tensor::of(data), ReduceOp::Sum); });
    EXPECT_EQ(error.code(), ronde::ErrorCode::Mismatch);
    EXPECT_NE(std::string(error.what()).find("(sum, hierarchical)"), std::string::npos) << error.what();
    EXPECT_EQ(data, before) << "a mismatched call must not touch the tensor";
  });
}

}  // namespace
