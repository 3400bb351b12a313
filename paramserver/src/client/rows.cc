#include "client/rows.h"

#include <cstring>
#include <unordered_map>

namespace ronde::ps::client {

std::vector<std::shared_ptr<RowBatch>> gather_rows(const ShardMap& map, std::string_view table,
                                                   std::span<const std::int64_t> ids, const std::byte* rows,
                                                   std::size_t row_bytes) {
  std::vector<std::shared_ptr<RowBatch>> batches(map.servers());
  for (auto& batch : batches) batch = std::make_shared<RowBatch>();
  std::vector<std::uint32_t> server_of(ids.size());
  std::vector<std::size_t> counts(map.servers(), 0);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    server_of[i] = map.server_of_row(table, ids[i]);
    ++counts[server_of[i]];
  }
  for (std::uint32_t s = 0; s < map.servers(); ++s) {
    batches[s]->ids.reserve(counts[s]);
    batches[s]->values.resize(counts[s] * row_bytes);
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    RowBatch& batch = *batches[server_of[i]];
    const std::size_t slot = batch.ids.size();
    batch.ids.push_back(ids[i]);
    if (row_bytes > 0) std::memcpy(batch.values.data() + slot * row_bytes, rows + i * row_bytes, row_bytes);
  }
  return batches;
}

std::vector<RowRequest> group_rows(const ShardMap& map, std::string_view table, std::span<const std::int64_t> ids) {
  std::vector<RowRequest> requests(map.servers());
  std::vector<std::unordered_map<std::int64_t, std::size_t>> index(map.servers());  // id -> its slot
  for (std::size_t position = 0; position < ids.size(); ++position) {
    const std::uint32_t server = map.server_of_row(table, ids[position]);
    RowRequest& request = requests[server];
    auto [slot, inserted] = index[server].try_emplace(ids[position], request.ids.size());
    if (inserted) {
      request.ids.push_back(ids[position]);
      request.positions.emplace_back();
    }
    request.positions[slot->second].push_back(position);
  }
  return requests;
}

}  // namespace ronde::ps::client
