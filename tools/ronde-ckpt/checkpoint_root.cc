#include "checkpoint_root.h"

#include <cstdio>
#include <ctime>
#include <map>

#include "exit_codes.h"
#include "location.h"
#include "ronde/core/error.h"

namespace ronde::ckpt {

using checkpoint::CheckpointId;

std::string CheckpointRoot::key_of(const CheckpointId& id, std::string_view object) const {
  return prefix + id.key_of(object);
}

std::string CheckpointRoot::uri_of(const CheckpointId& id, std::string_view object) const {
  return storage->uri_of(key_of(id, object));
}

CheckpointRoot open_checkpoint_root(std::string_view argument) {
  const Location location = parse_location(argument);
  CheckpointRoot root;
  root.argument = std::string(argument);
  std::string key = location.key;
  // A last segment that is exactly a checkpoint's name names that checkpoint of its parent root.
  const std::size_t slash = key.rfind('/');
  const std::string last = slash == std::string::npos ? key : key.substr(slash + 1);
  if (const auto id = checkpoint::parse_checkpoint_key(last); id && id->name() == last) {
    root.named = id;
    key.resize(slash == std::string::npos ? 0 : slash);
  }
  root.prefix = key.empty() ? std::string() : key + "/";
  root.storage = checkpoint::open_storage(location.root_uri);
  return root;
}

std::vector<CheckpointPrefix> list_checkpoint_prefixes(const CheckpointRoot& root) {
  const std::string listed = root.prefix + (root.named ? root.named->prefix() : std::string(checkpoint::kCheckpointKeyPrefix));
  std::map<std::string, CheckpointPrefix> by_name;
  for (const auto& object : root.storage->list(listed)) {
    const std::string_view relative = std::string_view(object.key).substr(root.prefix.size());
    const auto id = checkpoint::parse_checkpoint_key(relative);
    if (!id) continue;  // "ckpt-" keys of something else
    CheckpointPrefix& entry = by_name[id->name()];
    entry.id = *id;
    entry.committed = entry.committed || checkpoint::is_manifest_key(relative);
    ++entry.objects;
    entry.bytes += object.size;
  }
  std::vector<CheckpointId> ids;
  for (const auto& [name, entry] : by_name) ids.push_back(entry.id);
  checkpoint::sort_newest_first(ids);
  std::vector<CheckpointPrefix> result;
  for (const auto& id : ids) result.push_back(by_name.at(id.name()));
  return result;
}

checkpoint::Manifest read_manifest(const CheckpointRoot& root, const CheckpointId& id) {
  const std::vector<std::byte> bytes = root.storage->get_all(root.key_of(id, checkpoint::kManifestName));
  return checkpoint::parse_manifest(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                                    root.uri_of(id, checkpoint::kManifestName));
}

CheckpointId select_checkpoint(const CheckpointRoot& root, std::optional<std::int64_t> step) {
  if (root.named && step && root.named->step != *step) {
    throw UsageError("--step " + std::to_string(*step) + " does not match the checkpoint named, " + root.named->name());
  }
  for (const auto& entry : list_checkpoint_prefixes(root)) {
    if (entry.committed && (!step || entry.id.step == *step)) return entry.id;
  }
  std::string what = root.named ? "checkpoint " + root.named->name() + " has no manifest (it is incomplete)"
                                : "no committed checkpoint" + (step ? " of step " + std::to_string(*step) : std::string());
  throw Error(ErrorCode::NotFound, what + " under " + root.argument);
}

std::string format_utc_millis(std::chrono::system_clock::time_point time) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis - static_cast<std::int64_t>(seconds) * 1000));
  return std::string(text, length) + fraction;
}

}  // namespace ronde::ckpt
