// Reduction operators and the element-wise kernels that apply them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ronde/core/dtype.h"

namespace ronde {

// Average is Sum followed by division by the number of contributors. For integer dtypes that
// division truncates toward zero. Integer Sum and Product wrap around (two's complement).
enum class ReduceOp : std::uint8_t { Sum, Average, Min, Max, Product };

std::string_view to_string(ReduceOp op);
// Inverse of to_string ("sum", "average", "min", "max", "product"); throws InvalidArgument.
ReduceOp parse_reduce_op(std::string_view name);

// out[i] = a[i] (op) b[i] for i < count; Average combines like Sum. out may alias a or b.
// f16 and bf16 are widened to float, combined, and rounded once to nearest even.
void reduce_elements(ReduceOp op, DType dtype, const void* a, const void* b, void* out,
                     std::size_t count);

// data[i] = data[i] / divisor: the final step of Average. Floating types divide in their own
// precision (f16/bf16 in float); integers truncate toward zero.
void divide_elements(DType dtype, void* data, std::size_t count, std::int64_t divisor);

// data[i] *= factor, for floating dtypes (f16/bf16 through float, rounded once); throws
// Error(InvalidArgument) for integer dtypes. Used for allreduce's pre- and post-scale factors.
void scale_elements(DType dtype, void* data, std::size_t count, double factor);

}  // namespace ronde
