#include "checkpointer/verify.h"

#include <span>

#include "ronde/checkpoint/checksum.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {
namespace {

// What is wrong with shard `shard`, or empty when it matches its entry.
std::string check_shard(Storage& storage, const CheckpointId& id, const ShardEntry& shard) {
  const std::string key = id.key_of(shard.key);
  const std::optional<ObjectInfo> info = storage.try_head(key);
  if (!info) return "shard '" + shard.key + "' is missing (" + storage.uri_of(key) + ")";
  if (info->size != shard.size) {
    return "shard '" + shard.key + "' has " + std::to_string(info->size) + " bytes, the manifest records " +
           std::to_string(shard.size);
  }
  Checksum sum;
  storage.get_stream(key, [&](std::span<const std::byte> bytes) { sum.update(bytes); });
  if (sum.bytes() != shard.size) {
    return "shard '" + shard.key + "' read back " + std::to_string(sum.bytes()) + " bytes, the manifest records " +
           std::to_string(shard.size);
  }
  if (sum.hex() != shard.checksum) {
    return "shard '" + shard.key + "' has checksum " + sum.hex() + ", the manifest records " + shard.checksum;
  }
  return {};
}

}  // namespace

Verified verify_checkpoint(Storage& storage, const CheckpointId& id, std::size_t part, std::size_t parts) {
  Verified result;
  Manifest manifest;
  try {
    const std::vector<std::byte> bytes = storage.get_all(id.manifest_key());
    manifest = parse_manifest(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                              storage.uri_of(id.manifest_key()));
  } catch (const Error& error) {
    if (error.code() != ErrorCode::Corrupt && error.code() != ErrorCode::NotFound) throw;
    result.problem = error.message();
    return result;
  }
  if (!(manifest.id == id)) {
    result.problem = "manifest " + storage.uri_of(id.manifest_key()) + " describes checkpoint " + manifest.id.name();
    return result;
  }
  for (std::size_t i = 0; i < manifest.shards.size(); ++i) {
    if (i % parts != part) continue;
    const ShardEntry& shard = manifest.shards[i];
    try {
      result.problem = check_shard(storage, id, shard);
    } catch (const Error& error) {
      if (error.code() != ErrorCode::NotFound) throw;
      result.problem = "shard '" + shard.key + "' is missing: " + error.message();
    }
    if (!result.problem.empty()) return result;
  }
  result.manifest = std::move(manifest);
  return result;
}

std::vector<CheckpointId> list_committed(Storage& storage) {
  std::vector<CheckpointId> ids;
  for (const auto& object : storage.list(kCheckpointKeyPrefix)) {
    if (!is_manifest_key(object.key)) continue;
    if (auto id = parse_checkpoint_key(object.key)) ids.push_back(*id);
  }
  sort_newest_first(ids);
  return ids;
}

}  // namespace ronde::checkpoint::detail
