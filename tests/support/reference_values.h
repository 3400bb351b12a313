// Deterministic integer inputs per rank and the allreduce result computed directly from them: the
// references the thread-rank collective tests compare against. Integers make every reduction
// order give the same bits, so a test can demand equality.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "ronde/core/reduce_op.h"

namespace ronde::testing {

// Rank `rank`'s input of `count` values in [-100, 100], the same on every call.
inline std::vector<std::int64_t> input_of(int rank, std::size_t count) {
  std::mt19937_64 generator(static_cast<unsigned>(rank) * 131u + count);
  std::vector<std::int64_t> values(count);
  for (auto& value : values) value = static_cast<std::int64_t>(generator() % 201) - 100;
  return values;
}

// a op b as ronde defines it for int64 (products wrap; Average sums here and divides at the end).
inline std::int64_t combine(ReduceOp op, std::int64_t a, std::int64_t b) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Average: return a + b;
    case ReduceOp::Min: return std::min(a, b);
    case ReduceOp::Max: return std::max(a, b);
    case ReduceOp::Product: return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
  }
  return 0;
}

// The allreduce of input_of(0..ranks-1, count) under `op`.
inline std::vector<std::int64_t> expected_of(int ranks, std::size_t count, ReduceOp op) {
  std::vector<std::int64_t> result = input_of(0, count);
  for (int rank = 1; rank < ranks; ++rank) {
    const auto other = input_of(rank, count);
    for (std::size_t i = 0; i < count; ++i) result[i] = combine(op, result[i], other[i]);
  }
  if (op == ReduceOp::Average) {
    for (auto& value : result) value /= ranks;
  }
  return result;
}

}  // namespace ronde::testing
