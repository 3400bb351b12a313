// Sparse rows on their way to and from the servers: ids grouped by the server ShardMap places them
// on, rows gathered into per-server batches for pushes, and pulled rows scattered back to the
// caller's positions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ronde/ps/shard_map.h"

namespace ronde::ps::client {

// One server's share of a push_rows: its ids and their rows, in the caller's order.
struct RowBatch {
  std::vector<std::int64_t> ids;
  std::vector<std::byte> values;
};

// Splits a push of ids.size() rows of `row_bytes` bytes each into one batch per server (servers
// with no rows get an empty batch: every server receives every step).
std::vector<std::shared_ptr<RowBatch>> gather_rows(const ShardMap& map, std::string_view table,
                                                   std::span<const std::int64_t> ids, const std::byte* rows,
                                                   std::size_t row_bytes);

// One server's share of a pull_rows: distinct ids, and for each the caller's positions (an id asked
// for twice is pulled once).
struct RowRequest {
  std::vector<std::int64_t> ids;
  std::vector<std::vector<std::size_t>> positions;  // positions[i]: where ids[i] goes in the output
};

// One request per server (empty for servers none of the ids lives on).
std::vector<RowRequest> group_rows(const ShardMap& map, std::string_view table, std::span<const std::int64_t> ids);

}  // namespace ronde::ps::client
