// ShardMap: the placement rules stated in include/ronde/ps/shard_map.h. Every client and server
// computes them identically, so nothing here may depend on the platform, the process or the order
// of calls: only the hashes below and integer arithmetic.
#include "ronde/ps/shard_map.h"

#include <cstdint>
#include <string>
#include <utility>

#include "ronde/core/error.h"
#include "ronde/core/tensor.h"

namespace ronde::ps {

ShardMap::ShardMap(std::uint32_t servers, std::size_t partition_bytes)
    : servers_(servers), partition_bytes_(partition_bytes) {
  if (servers == 0) throw Error(ErrorCode::InvalidArgument, "a shard map needs at least one parameter server");
  if (partition_bytes == 0) throw Error(ErrorCode::InvalidArgument, "a shard map's partition size must be > 0 bytes");
}

std::uint64_t ShardMap::fnv1a64(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::uint64_t ShardMap::splitmix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

// The element count of `shape` and its size in bytes. Error(InvalidArgument) naming the tensor and
// its shape for a negative dimension, or when either count does not fit in 64 bits (a zero
// dimension anywhere makes an empty tensor, however large the others).
std::pair<std::uint64_t, std::uint64_t> checked_size(std::string_view name, DType dtype,
                                                     const std::vector<std::int64_t>& shape) {
  auto refuse = [&](const std::string& why) {
    throw Error(ErrorCode::InvalidArgument, "tensor '" + std::string(name) + "' of shape " + shape_to_string(shape) +
                                                " (" + std::string(to_string(dtype)) + ") " + why);
  };
  bool empty = false;
  for (const std::int64_t dim : shape) {
    if (dim < 0) refuse("has a negative dimension");
    empty = empty || dim == 0;
  }
  if (empty) return {0, 0};
  std::uint64_t elements = 1;
  for (const std::int64_t dim : shape) {
    if (__builtin_mul_overflow(elements, static_cast<std::uint64_t>(dim), &elements)) {
      refuse("has more than 2^64 elements");
    }
  }
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(elements, static_cast<std::uint64_t>(dtype_size(dtype)), &bytes)) {
    refuse("has " + std::to_string(elements) + " elements, more than 2^64 bytes");
  }
  return {elements, bytes};
}

}  // namespace

TensorPlacement ShardMap::place(std::string_view name, DType dtype, const std::vector<std::int64_t>& shape) const {
  if (name.empty()) throw Error(ErrorCode::InvalidArgument, "a parameter-server tensor needs a non-empty name");
  const auto [elements, bytes] = checked_size(name, dtype, shape);

  TensorPlacement placement{std::string(name), dtype, shape, {}};
  const std::uint64_t hash = fnv1a64(name);
  if (bytes <= partition_bytes_) {
    placement.partitions.push_back({0, 0, elements, static_cast<std::uint32_t>(hash % servers_)});
    return placement;
  }
  // ceil(bytes / partition_bytes) partitions, never more than there are elements (bytes > 0 here,
  // so elements >= 1).
  std::uint64_t count = (bytes + partition_bytes_ - 1) / partition_bytes_;
  if (count > elements) count = elements;
  if (count > UINT32_MAX) {
    throw Error(ErrorCode::InvalidArgument, "tensor '" + std::string(name) + "' of " + std::to_string(bytes) +
                                                " bytes needs more than 2^32 partitions of " +
                                                std::to_string(partition_bytes_) + " bytes");
  }
  const std::uint64_t base = elements / count;
  const std::uint64_t larger = elements % count;  // the first `larger` partitions get one more element
  std::uint64_t offset = 0;
  placement.partitions.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t length = base + (i < larger ? 1 : 0);
    placement.partitions.push_back(
        {static_cast<std::uint32_t>(i), offset, length, static_cast<std::uint32_t>((hash + i) % servers_)});
    offset += length;
  }
  return placement;
}

std::uint32_t ShardMap::server_of_row(std::string_view table, std::int64_t row_id) const {
  return static_cast<std::uint32_t>(splitmix64(fnv1a64(table) ^ static_cast<std::uint64_t>(row_id)) % servers_);
}

}  // namespace ronde::ps
