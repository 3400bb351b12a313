// Element-wise arithmetic of the server's updates over raw buffers of any ronde dtype.
//
// Sync mode sums a step's pushes in an ACCUMULATOR of a wider type: f64 for floating dtypes (f16,
// bf16, f32, f64), i64 for integer dtypes (i32, i64, u8), so that the order in which workers'
// pushes arrive does not change the sum (integer-valued floats up to 2^53 add exactly). The
// aggregate is then accumulator / divisor (divisor = workers for Aggregation::Mean, 1 for Sum),
// rounded once to the partition's dtype; integer means truncate toward zero, and integer sums wrap
// (u8 modulo 256, i64 modulo 2^64: never undefined overflow).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ronde/core/dtype.h"

namespace ronde::ps::server {

// F64 for floating dtypes, I64 for integer ones.
DType accumulator_dtype(DType dtype);

// acc[i] += src[i]; `src` holds n elements of `dtype`, `acc` n elements of accumulator_dtype(dtype).
void accumulate(DType dtype, const std::byte* src, std::byte* acc, std::size_t n);
// dst[i] = acc[i] / divisor, rounded to `dtype`.
void store_aggregate(DType dtype, const std::byte* acc, std::uint32_t divisor, std::byte* dst, std::size_t n);
// values[i] = values[i] + acc[i] / divisor, computed in the accumulator type and rounded once.
void add_aggregate(DType dtype, const std::byte* acc, std::uint32_t divisor, std::byte* values, std::size_t n);
// values[i] += src[i] (floating dtypes through f64, integers in i64, then rounded/wrapped back).
void add_elements(DType dtype, const std::byte* src, std::byte* values, std::size_t n);

}  // namespace ronde::ps::server
