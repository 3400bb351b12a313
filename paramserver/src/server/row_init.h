// How a sparse row that does not exist yet starts: zeros, or U(-scale, scale) drawn from a
// generator seeded by (table name, row id) alone, so that every server, every restart and every
// order of first touches gives a row the same initial values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ronde/core/dtype.h"

namespace ronde::ps::server {

enum class RowInit { Zeros, Uniform };

// Writes `width` elements of `dtype` to `out`. Element j of row `id` of table `table` is
//   u = (splitmix64(seed + j) >> 11) * 2^-53   with seed = fnv1a64(table) ^ splitmix64(id),
//   value = (2u - 1) * scale, rounded to dtype (integer dtypes: always zeros).
void init_row(std::string_view table, std::int64_t id, RowInit init, double scale, DType dtype, std::size_t width,
              std::byte* out);

}  // namespace ronde::ps::server
