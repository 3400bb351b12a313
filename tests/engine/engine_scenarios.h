// Engine scenarios shared by the thread-ranks tests and the mpirun test: each runs on one rank's
// Context (every rank calls it) and checks its own results with GoogleTest assertions.
//
// Data is integer-valued (small integers, exact in every dtype including f16 and bf16), so every
// reduction has one exact answer whatever order or algorithm the engine picks.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ronde/allreduce/engine.h"
#include "ronde/core/half.h"
#include "support/test_helpers.h"

namespace ronde::engine_test {

using namespace std::chrono_literals;

// Quick cycles, no stall messages unless a test asks for them.
inline EngineOptions test_options() {
  EngineOptions options;
  options.cycle_time = std::chrono::microseconds(500);
  options.stall_check = std::chrono::seconds(0);
  options.stall_shutdown = std::chrono::seconds(0);
  options.compression = Compression::None;
  options.timeline_path.clear();
  return options;
}

// Element j of a typed buffer, as a double (and back, rounding like the dtype does).
inline double load(DType dtype, const void* data, std::size_t j) {
  switch (dtype) {
    case DType::F16: return half_to_float(static_cast<const Half*>(data)[j]);
    case DType::BF16: return bfloat16_to_float(static_cast<const BFloat16*>(data)[j]);
    case DType::F32: return static_cast<const float*>(data)[j];
    case DType::F64: return static_cast<const double*>(data)[j];
    case DType::I32: return static_cast<const std::int32_t*>(data)[j];
    case DType::I64: return static_cast<double>(static_cast<const std::int64_t*>(data)[j]);
    case DType::U8: return static_cast<const std::uint8_t*>(data)[j];
  }
  return 0;
}

inline void store(DType dtype, void* data, std::size_t j, double value) {
  switch (dtype) {
    case DType::F16: static_cast<Half*>(data)[j] = float_to_half(static_cast<float>(value)); break;
    case DType::BF16: static_cast<BFloat16*>(data)[j] = float_to_bfloat16(static_cast<float>(value)); break;
    case DType::F32: static_cast<float*>(data)[j] = static_cast<float>(value); break;
    case DType::F64: static_cast<double*>(data)[j] = value; break;
    case DType::I32: static_cast<std::int32_t*>(data)[j] = static_cast<std::int32_t>(value); break;
    case DType::I64: static_cast<std::int64_t*>(data)[j] = static_cast<std::int64_t>(value); break;
    case DType::U8: static_cast<std::uint8_t*>(data)[j] = static_cast<std::uint8_t>(value); break;
  }
}

// A tensor that owns its bytes.
struct Buffer {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> bytes;

  Buffer() = default;
  Buffer(DType dtype_, std::vector<std::int64_t> shape_) : dtype(dtype_), shape(std::move(shape_)) {
    bytes.assign(static_cast<std::size_t>(numel()) * dtype_size(dtype), std::byte{0});
  }
  std::int64_t numel() const {
    return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
  }
  Tensor tensor() { return Tensor(bytes.empty() ? nullptr : bytes.data(), dtype, shape); }
  double at(std::size_t j) const { return load(dtype, bytes.data(), j); }
  void set(std::size_t j, double value) { store(dtype, bytes.data(), j, value); }
};

// The value rank `rank` holds at element j of tensor i: a small integer (u8: non-negative).
inline double value(DType dtype, int rank, int i, std::size_t j) {
  const auto mixed = static_cast<std::int64_t>((static_cast<std::size_t>(rank) * 7 + static_cast<std::size_t>(i) * 3 + j) % 11);
  return dtype == DType::U8 ? static_cast<double>(mixed % 4) : static_cast<double>(mixed - 5);
}

// op over ranks of x_r, as the collectives compute it (Average: sum, then divide in the dtype).
inline double reduce_reference(DType dtype, ReduceOp op, const std::vector<double>& xs) {
  double result = xs[0];
  for (std::size_t r = 1; r < xs.size(); ++r) {
    switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Average: result += xs[r]; break;
      case ReduceOp::Min: result = std::min(result, xs[r]); break;
      case ReduceOp::Max: result = std::max(result, xs[r]); break;
      case ReduceOp::Product: result *= xs[r]; break;
    }
  }
  if (op == ReduceOp::Average) {
    const auto n = static_cast<double>(xs.size());
    switch (dtype) {
      case DType::F64: return result / n;
      case DType::I32: case DType::I64: case DType::U8: return std::trunc(result / n);
      default: return static_cast<double>(static_cast<float>(result) / static_cast<float>(n));
    }
  }
  return result;
}

// One named operation of the random-order scenario, with what this rank enqueues and expects.
struct Planned {
  std::string name;
  enum class Kind { Allreduce, Broadcast, Allgather, Reducescatter, Alltoall } kind;
  DType dtype;
  ReduceOp op = ReduceOp::Sum;
  std::int64_t count = 1;  // elements (allreduce, broadcast), row length otherwise
  Buffer input, output;
  std::vector<std::int64_t> splits;
  std::shared_ptr<Buffer> gathered = std::make_shared<Buffer>();
  Handle handle;
};

inline std::vector<Planned> plan(int rank, int size, int tensors, std::uint64_t seed) {
  const DType dtypes[] = {DType::F32, DType::F64, DType::I32, DType::I64, DType::F16, DType::BF16, DType::U8};
  const ReduceOp ops[] = {ReduceOp::Sum, ReduceOp::Min, ReduceOp::Max, ReduceOp::Average};
  std::mt19937_64 shared(seed);  // the same on every rank: what each name is
  std::vector<Planned> planned;
  for (int i = 0; i < tensors; ++i) {
    Planned p;
    p.name = "t" + std::to_string(seed) + "/" + std::to_string(i);
    p.dtype = dtypes[shared() % 7];
    const std::uint64_t pick = shared() % 20;
    p.kind = pick < 14   ? Planned::Kind::Allreduce
             : pick < 16 ? Planned::Kind::Broadcast
             : pick < 18 ? Planned::Kind::Allgather
             : pick < 19 ? Planned::Kind::Reducescatter
                         : Planned::Kind::Alltoall;
    p.op = ops[shared() % 4];
    if (p.dtype == DType::U8 && p.op == ReduceOp::Average) p.op = ReduceOp::Sum;
    p.count = shared() % 10 == 0 ? 20000 + static_cast<std::int64_t>(shared() % 5000) : 1 + static_cast<std::int64_t>(shared() % 700);
    switch (p.kind) {
      case Planned::Kind::Allreduce:
      case Planned::Kind::Broadcast:
        p.input = Buffer(p.dtype, {p.count});
        break;
      case Planned::Kind::Allgather:
        p.count = 1 + p.count % 9;
        p.input = Buffer(p.dtype, {1 + (rank + i) % 3, p.count});
        break;
      case Planned::Kind::Reducescatter: {
        p.count = 1 + p.count % 9;
        p.op = ReduceOp::Sum;
        const std::int64_t rows = 2 * size + 1;
        p.input = Buffer(p.dtype, {rows, p.count});
        const std::int64_t mine = rows / size + (rank < rows % size ? 1 : 0);
        p.output = Buffer(p.dtype, {mine, p.count});
        break;
      }
      case Planned::Kind::Alltoall: {
        p.count = 1 + p.count % 9;
        std::int64_t rows = 0;
        for (int peer = 0; peer < size; ++peer) {
          p.splits.push_back((rank + peer + i) % 3);
          rows += p.splits.back();
        }
        p.input = Buffer(p.dtype, {rows, p.count});
        break;
      }
    }
    for (std::size_t j = 0; j < static_cast<std::size_t>(p.input.numel()); ++j) p.input.set(j, value(p.dtype, rank, i, j));
    planned.push_back(std::move(p));
  }
  return planned;
}

inline Handle enqueue(Engine& engine, Planned& p, int rank) {
  auto gathered = p.gathered;
  const DType dtype = p.dtype;
  auto allocate = [gathered, dtype](const std::vector<std::int64_t>& shape) {
    *gathered = Buffer(dtype, shape);
    return gathered->tensor();
  };
  switch (p.kind) {
    case Planned::Kind::Allreduce: return engine.allreduce_async(p.name, p.input.tensor(), p.op);
    case Planned::Kind::Broadcast: return engine.broadcast_async(p.name, p.input.tensor(), static_cast<int>(p.count % engine.context().size()));
    case Planned::Kind::Allgather: return engine.allgather_async(p.name, p.input.tensor(), allocate);
    case Planned::Kind::Reducescatter:
      return engine.reducescatter_async(p.name, p.input.tensor(), p.output.tensor(), p.op);
    case Planned::Kind::Alltoall: return engine.alltoall_async(p.name, p.input.tensor(), p.splits, allocate);
  }
  (void)rank;
  return {};
}

// Checks p's result on `rank` against the values every rank held.
inline void check(const Planned& p, int i, int rank, int size) {
  SCOPED_TRACE(p.name + " (" + std::string(to_string(p.dtype)) + ")");
  const auto count = static_cast<std::size_t>(p.count);
  switch (p.kind) {
    case Planned::Kind::Allreduce:
      for (std::size_t j = 0; j < count; ++j) {
        std::vector<double> xs;
        for (int r = 0; r < size; ++r) xs.push_back(value(p.dtype, r, i, j));
        Buffer expected(p.dtype, {1});
        expected.set(0, reduce_reference(p.dtype, p.op, xs));
        ASSERT_EQ(p.input.at(j), expected.at(0)) << "element " << j << " of " << count;
      }
      break;
    case Planned::Kind::Broadcast: {
      const int root = static_cast<int>(p.count % size);
      for (std::size_t j = 0; j < count; ++j) ASSERT_EQ(p.input.at(j), value(p.dtype, root, i, j)) << "element " << j;
      break;
    }
    case Planned::Kind::Allgather: {
      std::size_t out = 0;
      ASSERT_EQ(p.gathered->shape.size(), 2u);
      for (int r = 0; r < size; ++r) {
        const std::size_t rows = static_cast<std::size_t>(1 + (r + i) % 3);
        for (std::size_t j = 0; j < rows * count; ++j, ++out) ASSERT_EQ(p.gathered->at(out), value(p.dtype, r, i, j));
      }
      ASSERT_EQ(static_cast<std::int64_t>(out), p.gathered->numel());
      break;
    }
    case Planned::Kind::Reducescatter: {
      const std::int64_t rows = 2 * size + 1;
      std::int64_t first = 0;
      for (int r = 0; r < rank; ++r) first += rows / size + (r < rows % size ? 1 : 0);
      for (std::size_t j = 0; j < static_cast<std::size_t>(p.output.numel()); ++j) {
        std::vector<double> xs;
        for (int r = 0; r < size; ++r) xs.push_back(value(p.dtype, r, i, static_cast<std::size_t>(first) * count + j));
        Buffer expected(p.dtype, {1});
        expected.set(0, reduce_reference(p.dtype, ReduceOp::Sum, xs));
        ASSERT_EQ(p.output.at(j), expected.at(0)) << "element " << j;
      }
      break;
    }
    case Planned::Kind::Alltoall: {
      std::size_t out = 0;
      for (int q = 0; q < size; ++q) {
        std::size_t offset = 0;  // rows q sends to ranks before me
        for (int peer = 0; peer < rank; ++peer) offset += static_cast<std::size_t>((q + peer + i) % 3);
        const auto rows = static_cast<std::size_t>((q + rank + i) % 3);
        for (std::size_t j = 0; j < rows * count; ++j, ++out) {
          ASSERT_EQ(p.gathered->at(out), value(p.dtype, q, i, offset * count + j));
        }
      }
      break;
    }
  }
}

// Hundreds of named operations of mixed kinds, dtypes and odd sizes, enqueued in a different
// random order on every rank from two threads, `steps` times (later steps hit the cache).
inline Engine::Stats random_order(Context& context, EngineOptions options, int tensors, int steps, std::uint64_t seed) {
  const int rank = context.rank(), size = context.size();
  Engine engine(context, options);
  for (int step = 0; step < steps; ++step) {
    std::vector<Planned> planned = plan(rank, size, tensors, seed);
    std::vector<std::size_t> order(planned.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(seed * 1000 + static_cast<std::uint64_t>(rank * 31 + step)));
    auto enqueue_half = [&](std::size_t parity) {
      for (std::size_t k = parity; k < order.size(); k += 2) planned[order[k]].handle = enqueue(engine, planned[order[k]], rank);
    };
    std::thread other(enqueue_half, 1);
    enqueue_half(0);
    other.join();
    for (std::size_t i = 0; i < planned.size(); ++i) {
      planned[i].handle.wait();
      check(planned[i], static_cast<int>(i), rank, size);
      if (::testing::Test::HasFatalFailure()) return engine.stats();
    }
  }
  Engine::Stats stats = engine.stats();
  engine.shutdown();
  return stats;
}

using ronde::testing::error_from;

// Every rank asks for "grad/w" with something of its own (the rank-dependent part is `tweak`):
// every rank must get the same Error(Mismatch) whose message contains `expected`, in bounded time.
template <class Tweak>
void expect_mismatch(Context& context, Tweak tweak, const std::string& expected) {
  EngineOptions options = test_options();
  Engine engine(context, options);
  const auto started = std::chrono::steady_clock::now();
  const Error error = error_from([&] { tweak(engine, context.rank()).wait(); });
  EXPECT_EQ(error.code(), ErrorCode::Mismatch) << error.what();
  EXPECT_NE(error.message().find(expected), std::string::npos) << error.what();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  // The engine stays usable: the same name again, now agreeing.
  std::vector<float> data(3, static_cast<float>(context.rank()));
  engine.allreduce("grad/w", Tensor::of(data), ReduceOp::Sum);
  const float expected_sum = static_cast<float>(context.size() * (context.size() - 1) / 2);
  EXPECT_EQ(data[0], expected_sum);
}

// Uneven amounts of data: rank r runs 2 + r steps of allreduce (Average and Sum) and a broadcast
// from the last rank, then joins; the ranks that have joined contribute zeros. Every rank's join()
// returns the last rank (which has the most steps).
inline void join_uneven(Context& context, EngineOptions options) {
  const int rank = context.rank(), size = context.size();
  Engine engine(context, options);
  const int steps = 2 + rank;
  for (int step = 0; step < steps; ++step) {
    std::vector<double> average(5, static_cast<double>(rank + 1));
    std::vector<std::int64_t> sum(7, rank + 1);
    std::vector<float> from_last(4, 0.0f);
    if (rank == size - 1) std::fill(from_last.begin(), from_last.end(), static_cast<float>(step));
    Handle a = engine.allreduce_async("join/avg", Tensor::of(average), ReduceOp::Average);
    Handle s = engine.allreduce_async("join/sum", Tensor::of(sum), ReduceOp::Sum);
    Handle b = engine.broadcast_async("join/bcast", Tensor::of(from_last), size - 1);
    a.wait();
    s.wait();
    b.wait();
    double expected = 0;  // ranks still running at this step: those with more than `step` steps
    for (int r = 0; r < size; ++r) expected += (2 + r > step) ? r + 1 : 0;
    EXPECT_DOUBLE_EQ(average[0], expected / size) << "step " << step;
    EXPECT_EQ(sum[6], static_cast<std::int64_t>(expected)) << "step " << step;
    EXPECT_EQ(from_last[3], static_cast<float>(step));
  }
  EXPECT_EQ(engine.join(), size - 1);
  // Usable again after the join.
  std::vector<std::int32_t> after(3, 1);
  engine.allreduce("join/after", Tensor::of(after), ReduceOp::Sum);
  EXPECT_EQ(after[0], size);
}

// One rank never submits "lonely": the others' handles fail with a Timeout naming it.
inline void missing_name(Context& context, int missing) {
  EngineOptions options = test_options();
  options.stall_check = std::chrono::seconds(1);
  options.stall_shutdown = std::chrono::seconds(2);
  Engine engine(context, options);
  const auto started = std::chrono::steady_clock::now();
  if (context.rank() != missing) {
    std::vector<float> data(10, 1.0f);
    const Error error = error_from([&] { engine.allreduce("lonely", Tensor::of(data), ReduceOp::Sum); });
    EXPECT_EQ(error.code(), ErrorCode::Timeout) << error.what();
    EXPECT_NE(error.message().find("tensor 'lonely'"), std::string::npos) << error.what();
    EXPECT_NE(error.message().find("rank " + std::to_string(missing)), std::string::npos) << error.what();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  }
  // Everyone still agrees on later names (the missing rank waits until the others have timed
  // out, so that "after" does not stall in turn).
  if (context.rank() == missing) std::this_thread::sleep_for(options.stall_shutdown + 500ms);
  std::vector<float> data(2, 1.0f);
  engine.allreduce("after", Tensor::of(data), ReduceOp::Sum);
  EXPECT_EQ(data[0], static_cast<float>(context.size()));
}

}  // namespace ronde::engine_test
