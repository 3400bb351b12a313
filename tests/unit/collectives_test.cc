// Allgather, reducescatter, alltoall and allreduce scale factors on 1..8 thread ranks, against
// references computed from every rank's input.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/error.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"

namespace {

using ronde::Collectives;
using ronde::CollectiveOptions;
using ronde::Context;
using ronde::ReduceOp;
using ronde::Tensor;
using ronde::testing::run_ranks;

constexpr std::int64_t kColumns = 3;

// Row i of rank r's input: values that identify (rank, row, column).
std::int64_t cell(int rank, std::int64_t row, std::int64_t column) { return rank * 1000000 + row * 10 + column; }

std::vector<std::int64_t> rows_of_rank(int rank, std::int64_t rows) {
  std::vector<std::int64_t> values;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < kColumns; ++c) values.push_back(cell(rank, r, c));
  }
  return values;
}

// Small options so that even tiny tensors cross several segments.
CollectiveOptions small_segments() { return CollectiveOptions{.segment_bytes = 40, .pipeline_depth = 3}; }

TEST(Allgather, RanksContributeDifferentFirstDimensions) {
  for (int ranks = 1; ranks <= 8; ++ranks) {
    auto rows_for = [](int rank) { return static_cast<std::int64_t>((rank * 7) % 5); };  // includes zero rows
    run_ranks(ranks, [&](Context& context) {
      Collectives collectives(context, small_segments());
      std::vector<std::int64_t> input = rows_of_rank(context.rank(), rows_for(context.rank()));
      std::vector<std::int64_t> output;
      const auto first_dims = collectives.allgather(
          Tensor(input.data(), ronde::DType::I64, {rows_for(context.rank()), kColumns}),
          [&](const std::vector<std::int64_t>& shape) {
            output.resize(static_cast<std::size_t>(shape[0] * shape[1]));
            return Tensor(output.data(), ronde::DType::I64, shape);
          });
      std::vector<std::int64_t> expected;
      for (int r = 0; r < ranks; ++r) {
        ASSERT_EQ(first_dims[static_cast<std::size_t>(r)], rows_for(r));
        auto part = rows_of_rank(r, rows_for(r));
        expected.insert(expected.end(), part.begin(), part.end());
      }
      ASSERT_EQ(output, expected) << ranks << " ranks, rank " << context.rank();
    });
  }
}

TEST(Reducescatter, EvenAndUnevenSplits) {
  for (int ranks = 1; ranks <= 8; ++ranks) {
    for (bool even : {true, false}) {
      run_ranks(ranks, [&](Context& context) {
        Collectives collectives(context, small_segments());
        std::vector<std::int64_t> splits;
        for (int r = 0; r < ranks; ++r) splits.push_back((r * 3 + 1) % 4);  // uneven, some empty
        const std::int64_t rows = even ? 2 * ranks + 1 : std::accumulate(splits.begin(), splits.end(), std::int64_t{0});
        if (even) {  // the default split: first (rows % n) ranks get one more
          splits.clear();
          for (int r = 0; r < ranks; ++r) splits.push_back(rows / ranks + (r < rows % ranks ? 1 : 0));
        }
        std::vector<std::int64_t> input = rows_of_rank(context.rank(), rows);
        const std::int64_t mine = splits[static_cast<std::size_t>(context.rank())];
        std::vector<std::int64_t> output(static_cast<std::size_t>(mine * kColumns));
        const Tensor in(input.data(), ronde::DType::I64, {rows, kColumns});
        const Tensor out(output.data(), ronde::DType::I64, {mine, kColumns});
        if (even) collectives.reducescatter(in, out, ReduceOp::Sum);
        else collectives.reducescatter(in, out, ReduceOp::Sum, splits);
        const std::int64_t first_row = std::accumulate(splits.begin(), splits.begin() + context.rank(), std::int64_t{0});
        for (std::int64_t r = 0; r < mine; ++r) {
          for (std::int64_t c = 0; c < kColumns; ++c) {
            std::int64_t want = 0;
            for (int source = 0; source < ranks; ++source) want += cell(source, first_row + r, c);
            ASSERT_EQ(output[static_cast<std::size_t>(r * kColumns + c)], want)
                << ranks << " ranks, " << (even ? "even" : "uneven") << ", rank " << context.rank() << " row " << r;
          }
        }
      });
    }
  }
}

TEST(Alltoall, PerRankSplits) {
  for (int ranks = 1; ranks <= 8; ++ranks) {
    // Rank s sends (s + d) % 3 rows to rank d.
    auto count = [](int source, int destination) { return static_cast<std::int64_t>((source + destination) % 3); };
    run_ranks(ranks, [&](Context& context) {
      Collectives collectives(context, small_segments());
      std::vector<std::int64_t> splits;
      for (int d = 0; d < ranks; ++d) splits.push_back(count(context.rank(), d));
      const std::int64_t rows = std::accumulate(splits.begin(), splits.end(), std::int64_t{0});
      std::vector<std::int64_t> input = rows_of_rank(context.rank(), rows);
      std::vector<std::int64_t> output;
      const auto received = collectives.alltoall(
          Tensor(input.data(), ronde::DType::I64, {rows, kColumns}), splits, [&](const std::vector<std::int64_t>& shape) {
            output.resize(static_cast<std::size_t>(shape[0] * shape[1]));
            return Tensor(output.data(), ronde::DType::I64, shape);
          });
      std::vector<std::int64_t> expected;
      for (int s = 0; s < ranks; ++s) {
        ASSERT_EQ(received[static_cast<std::size_t>(s)], count(s, context.rank()));
        std::int64_t first = 0;
        for (int d = 0; d < context.rank(); ++d) first += count(s, d);
        for (std::int64_t r = 0; r < count(s, context.rank()); ++r) {
          for (std::int64_t c = 0; c < kColumns; ++c) expected.push_back(cell(s, first + r, c));
        }
      }
      ASSERT_EQ(output, expected) << ranks << " ranks, rank " << context.rank();
    });
  }
}

TEST(AllreduceScale, PreAndPostScaleFactors) {
  run_ranks(3, [](Context& context) {
    Collectives collectives(context);
    std::vector<double> values(1000, context.rank() + 1.0), output(1000);
    collectives.allreduce(Tensor::of(values), Tensor::of(output), ReduceOp::Sum, {.prescale = 0.5, .postscale = 4.0});
    for (double v : output) ASSERT_EQ(v, 4.0 * 0.5 * (1 + 2 + 3));
    EXPECT_EQ(values[0], context.rank() + 1.0) << "out of place: the input must stay as it was";
    std::vector<float> grads(70000, 2.0f);  // large enough for the ring
    collectives.allreduce(Tensor::of(grads), ReduceOp::Sum, {.postscale = 1.0 / 3});
    for (float v : grads) ASSERT_FLOAT_EQ(v, 2.0f);
  });
}

TEST(CollectiveArguments, NewCollectivesNameTheirArguments) {
  run_ranks(2, [](Context& context) {
    Collectives collectives(context);
    std::vector<float> a(12), b(5);
    std::vector<std::int32_t> ints(4);
    auto message = [](const std::function<void()>& f) { return ronde::testing::error_from(f).message(); };
    const Tensor rows(a.data(), ronde::DType::F32, {4, 3});
    EXPECT_NE(message([&] { collectives.reducescatter(rows, Tensor::of(b), ReduceOp::Sum); }).find("output is f32[5] on cpu but must be f32[2,3]"),
              std::string::npos);
    const std::int64_t bad_splits[] = {1, 1};
    EXPECT_NE(message([&] { collectives.reducescatter(rows, Tensor::of(b), ReduceOp::Sum, bad_splits); })
                  .find("splits add up to 2 rows but input f32[4,3] on cpu has 4"),
              std::string::npos);
    const std::int64_t one_split[] = {4};
    EXPECT_NE(message([&] { collectives.alltoall(rows, one_split, nullptr); }).find("splits has 1 entries for 2 ranks"),
              std::string::npos);
    float scalar = 0;
    EXPECT_NE(message([&] { collectives.allgather(Tensor(&scalar, ronde::DType::F32, {}), Tensor::of(b)); }).find("is a scalar"),
              std::string::npos);
    EXPECT_NE(message([&] { collectives.allreduce(Tensor::of(ints), ReduceOp::Sum, {.prescale = 2}); }).find("scale factors need"),
              std::string::npos);
    collectives.barrier();
  });
}

// Small allreduces travel inside the agreement check's messages. Whichever rank disagrees (a
// different count, a large call, another collective), at every rank count every rank gets
// Error(Mismatch) and no tensor changes; the group is usable afterwards.
TEST(FoldedAgreement, ADisagreementOnAnyRankStopsEveryRankAndTouchesNothing) {
  for (int ranks = 2; ranks <= 8; ++ranks) {
    for (int odd = 0; odd < ranks; odd += std::max(1, ranks / 3)) {
      for (int variant = 0; variant < 3; ++variant) {
        run_ranks(ranks, [&](Context& context) {
          Collectives collectives(context);
          const bool me = context.rank() == odd;
          // variant 0: 9 elements instead of 8; 1: a 20000-element (ring) call; 2: a broadcast.
          std::vector<std::int64_t> data(me && variant == 0 ? 9 : me && variant == 1 ? 20000 : 8, 7);
          const std::vector<std::int64_t> before = data;
          const ronde::Error error = ronde::testing::error_from([&] {
            if (me && variant == 2) collectives.broadcast(Tensor::of(data), 0);
            else collectives.allreduce(Tensor::of(data), ReduceOp::Sum);
          });
          EXPECT_EQ(error.code(), ronde::ErrorCode::Mismatch) << error.what();
          EXPECT_EQ(data, before) << "rank " << context.rank();
          std::vector<std::int64_t> after(5, context.rank());
          collectives.allreduce(Tensor::of(after), ReduceOp::Sum);
          EXPECT_EQ(after, std::vector<std::int64_t>(5, ranks * (ranks - 1) / 2));
        });
      }
    }
  }
}

}  // namespace
