// The collective algorithms on 1..8 ranks run as threads over the in-process transport, against
// references computed directly from every rank's input.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/cuda_info.h"
#include "ronde/core/error.h"
#include "support/reference_values.h"
#include "support/thread_ranks.h"

namespace {

using ronde::Collectives;
using ronde::CollectiveOptions;
using ronde::Context;
using ronde::ReduceOp;
using ronde::Tensor;
using ronde::testing::expected_of;
using ronde::testing::input_of;
using ronde::testing::run_ranks;

struct RingCase {
  int ranks;
  std::size_t segment_bytes;
  int depth;
  std::size_t small_bytes = 0;  // 0: every count takes the ring; huge: every count recursive doubling
  int window = 4;               // send window (0: no limit)
};

class AllreduceAlgorithms : public ::testing::TestWithParam<RingCase> {};

TEST_P(AllreduceAlgorithms, MatchesReferenceForEveryCountAndOp) {
  const RingCase param = GetParam();
  const std::vector<std::size_t> counts = {0, 1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 64, 100, 257, 1009, 4096, 10007};
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Average, ReduceOp::Min, ReduceOp::Max, ReduceOp::Product}) {
    for (bool in_place : {true, false}) {
      run_ranks(param.ranks, [&](Context& context) {
        Collectives collectives(context, CollectiveOptions{.segment_bytes = param.segment_bytes,
                                                           .pipeline_depth = param.depth,
                                                           .send_window = param.window,
                                                           .small_allreduce_bytes = param.small_bytes});
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
          ASSERT_EQ(output, expected_of(param.ranks, count, op))
              << "rank " << context.rank() << " count " << count << " op " << ronde::to_string(op);
        }
      });
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RanksSegmentsDepths, AllreduceAlgorithms,
                         ::testing::Values(RingCase{1, 256 * 1024, 4}, RingCase{2, 256 * 1024, 4},
                                           RingCase{3, 256 * 1024, 4}, RingCase{4, 64, 2}, RingCase{5, 8, 3},
                                           RingCase{6, 256 * 1024, 4}, RingCase{7, 40, 5}, RingCase{8, 1024, 4},
                                           RingCase{8, 8, 2},
                                           // send windows: one send at a time, no limit
                                           RingCase{2, 16, 4, 0, 1}, RingCase{3, 8, 2, 0, 1},
                                           RingCase{5, 16, 3, 0, 1}, RingCase{4, 64, 2, 0, 0},
                                           // recursive doubling: powers of two and folded extras
                                           RingCase{2, 1024, 4, 1 << 30}, RingCase{3, 1024, 4, 1 << 30},
                                           RingCase{5, 1024, 4, 1 << 30}, RingCase{6, 1024, 4, 1 << 30},
                                           RingCase{8, 1024, 4, 1 << 30}),
                         [](const auto& info) {
                           return std::string(info.param.small_bytes ? "doubling_" : "ring_") + "ranks" +
                                  std::to_string(info.param.ranks) + "_seg" + std::to_string(info.param.segment_bytes) +
                                  "_depth" + std::to_string(info.param.depth) + "_window" +
                                  std::to_string(info.param.window);
                         });

TEST(Broadcast, EveryRootRanksOneToEight) {
  for (int ranks = 1; ranks <= 8; ++ranks) {
    run_ranks(ranks, [&](Context& context) {
      Collectives collectives(context, CollectiveOptions{.segment_bytes = 24, .pipeline_depth = 2});
      for (int root = 0; root < ranks; ++root) {
        for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{1000}}) {
          std::vector<std::int64_t> values = input_of(context.rank() + 10 * root, count);
          collectives.broadcast(Tensor::of(values), root);
          ASSERT_EQ(values, input_of(root + 10 * root, count)) << "root " << root << " count " << count;
        }
      }
    });
  }
}

TEST(Barrier, CompletesOnOneToEightRanks) {
  for (int ranks = 1; ranks <= 8; ++ranks) {
    std::atomic<int> entered{0};
    run_ranks(ranks, [&](Context& context) {
      Collectives collectives(context);
      for (int round = 1; round <= 3; ++round) {
        entered.fetch_add(1);
        collectives.barrier();
        EXPECT_GE(entered.load(), round * ranks) << "a rank left barrier " << round << " early";
        collectives.barrier();
      }
    });
  }
}

TEST(CollectiveArguments, RejectedWithTheArgumentNamed) {
  run_ranks(1, [](Context& context) {
    Collectives collectives(context);
    std::vector<float> a(4), b(5);
    std::vector<double> c(4);
    auto expect_error = [](auto&& call, const std::string& needle) {
      try {
        call();
        ADD_FAILURE() << "expected an error mentioning " << needle;
      } catch (const ronde::Error& error) {
        EXPECT_EQ(error.code(), ronde::ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
      }
    };
    expect_error([&] { collectives.allreduce(Tensor::of(a), Tensor::of(b), ReduceOp::Sum); }, "output has 5");
    expect_error([&] { collectives.allreduce(Tensor::of(a), Tensor::of(c), ReduceOp::Sum); }, "dtypes differ");
    // A CUDA tensor where there is no usable GPU (no CUDA build, or no device): a named error.
    Tensor on_gpu(a.data(), ronde::DType::F32, {4}, ronde::Device::cuda(0));
    try {
      collectives.allreduce(on_gpu, ReduceOp::Sum);
      if (ronde::cuda_device_count() == 0) ADD_FAILURE() << "a CUDA tensor without a GPU was accepted";
    } catch (const ronde::Error& error) {
      EXPECT_NE(std::string(error.what()).find("cuda:0"), std::string::npos) << error.what();
    }
    std::vector<float> host(4);
    expect_error([&] { collectives.allreduce(on_gpu, Tensor::of(host), ReduceOp::Sum); }, "both must be on the same device");
    expect_error([&] { collectives.broadcast(Tensor::of(a), 1); }, "root 1 is not a rank");
    expect_error([&] { collectives.allreduce(Tensor(a.data(), ronde::DType::F32, {3}),
                                             Tensor(a.data() + 1, ronde::DType::F32, {3}), ReduceOp::Sum); }, "overlap");
  });
}

}  // namespace
