#include "server/row_init.h"

#include <cstring>
#include <vector>

#include "server/element_ops.h"

namespace ronde::ps::server {
namespace {

// FNV-1a, 64-bit.
std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// Vigna's splitmix64 finaliser.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

void init_row(std::string_view table, std::int64_t id, RowInit init, double scale, DType dtype, std::size_t width,
              std::byte* out) {
  const std::size_t bytes = width * dtype_size(dtype);
  if (init == RowInit::Zeros || !is_floating_point(dtype)) {
    std::memset(out, 0, bytes);
    return;
  }
  const std::uint64_t seed = fnv1a64(table) ^ splitmix64(static_cast<std::uint64_t>(id));
  std::vector<double> values(width);
  for (std::size_t j = 0; j < width; ++j) {
    const double u = static_cast<double>(splitmix64(seed + j) >> 11) * 0x1p-53;
    values[j] = (2.0 * u - 1.0) * scale;
  }
  // Round the f64 values to the dtype through the accumulator path (divisor 1 is a plain copy).
  store_aggregate(dtype, reinterpret_cast<const std::byte*>(values.data()), 1, out, width);
}

}  // namespace ronde::ps::server
