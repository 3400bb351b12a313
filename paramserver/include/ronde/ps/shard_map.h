// Where each tensor lives among the parameter servers. A pure function of (server count, partition
// size, tensor name, shape, dtype), computed identically by every client; servers record it in
// their checkpoints so that a resume with another server count is detected.
//
// Dense tensors: a tensor of at most `partition_bytes` bytes is one partition, placed whole on
// server fnv1a64(name) % servers. A larger tensor is split into P = ceil(bytes / partition_bytes)
// partitions of equal element counts (the first `elements % P` get one more element), and
// partition i goes to server (fnv1a64(name) + i) % servers, so large tensors spread evenly.
// Sparse tables: row `id` lives on server splitmix64(fnv1a64(name) ^ id) % servers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/core/dtype.h"

namespace ronde::ps {

struct Partition {
  std::uint32_t index = 0;   // 0 .. count-1 within its tensor
  std::uint64_t offset = 0;  // first element, in the flattened tensor
  std::uint64_t length = 0;  // elements
  std::uint32_t server = 0;  // index into the server list
};

struct TensorPlacement {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<Partition> partitions;  // in index order, covering the tensor exactly
};

class ShardMap {
 public:
  // Incremented whenever the placement rules above change; servers refuse other versions.
  static constexpr std::uint32_t kFormatVersion = 1;
  // Error(InvalidArgument) for servers == 0 or partition_bytes == 0.
  ShardMap(std::uint32_t servers, std::size_t partition_bytes);

  std::uint32_t servers() const { return servers_; }
  std::size_t partition_bytes() const { return partition_bytes_; }

  // Error(InvalidArgument) naming the tensor for an empty name, and naming it and its shape for a
  // negative dimension or a size (elements, or bytes) that does not fit in 64 bits.
  TensorPlacement place(std::string_view name, DType dtype, const std::vector<std::int64_t>& shape) const;
  std::uint32_t server_of_row(std::string_view table, std::int64_t row_id) const;

  // The stable hashes the rules use (exposed for tests and tools).
  static std::uint64_t fnv1a64(std::string_view text);
  static std::uint64_t splitmix64(std::uint64_t x);

 private:
  std::uint32_t servers_;
  std::size_t partition_bytes_;
};

}  // namespace ronde::ps
