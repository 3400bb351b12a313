#include "checkpointer/retention.h"

#include <exception>
#include <map>
#include <set>

namespace ronde::checkpoint::detail {
namespace {

struct Prefix {
  CheckpointId id;
  bool committed = false;
  std::vector<std::string> keys;  // every object but the manifest
};

std::map<std::string, Prefix> group_by_checkpoint(Storage& storage) {
  std::map<std::string, Prefix> prefixes;
  for (const auto& object : storage.list(kCheckpointKeyPrefix)) {
    const std::optional<CheckpointId> id = parse_checkpoint_key(object.key);
    if (!id) continue;
    Prefix& prefix = prefixes[id->name()];
    prefix.id = *id;
    if (is_manifest_key(object.key)) {
      prefix.committed = true;
    } else {
      prefix.keys.push_back(object.key);
    }
  }
  return prefixes;
}

bool at_or_before(const CheckpointId& id, const CheckpointId& newest) {
  return !(id == newest) && id.step <= newest.step;
}

// Committed checkpoints that the policy keeps.
std::set<std::string> kept(const std::map<std::string, Prefix>& prefixes, const RetentionPolicy& policy,
                           const CheckpointId& newest) {
  std::vector<CheckpointId> committed;
  for (const auto& [name, prefix] : prefixes) {
    if (prefix.committed) committed.push_back(prefix.id);
  }
  sort_newest_first(committed);
  std::set<std::string> keep = {newest.name()};
  for (std::size_t i = 0; i < committed.size(); ++i) {
    const bool recent = policy.keep_last <= 0 || i < static_cast<std::size_t>(policy.keep_last);
    const bool milestone = policy.keep_every > 0 && committed[i].step % policy.keep_every == 0;
    // Checkpoints newer than `newest` (another job's, or a clock of steps that went back) are kept.
    const bool later = committed[i].step > newest.step;
    if (recent || milestone || later) keep.insert(committed[i].name());
  }
  return keep;
}

template <class Fn>
void logged(const Logger& log, const std::string& what, Fn&& action) {
  try {
    action();
  } catch (const std::exception& error) {
    log.warn("checkpoint retention: ", what, " failed: ", error.what());
  }
}

}  // namespace

void apply_retention(Storage& storage, const RetentionPolicy& policy, const CheckpointId& newest, const Logger& log) {
  std::map<std::string, Prefix> prefixes;
  logged(log, "listing " + storage.uri(), [&] { prefixes = group_by_checkpoint(storage); });
  const std::set<std::string> keep = kept(prefixes, policy, newest);
  for (const auto& [name, prefix] : prefixes) {
    if (prefix.committed && keep.count(name) == 0) {
      logged(log, "deleting checkpoint " + name, [&] {
        storage.remove(prefix.id.manifest_key());  // first: the checkpoint stops existing
        storage.remove_all(prefix.keys);
        log.info("deleted checkpoint ", name, " (retention)");
      });
    } else if (!prefix.committed && at_or_before(prefix.id, newest)) {
      logged(log, "removing incomplete checkpoint " + name, [&] {
        storage.remove_all(prefix.keys);
        log.info("removed incomplete checkpoint ", name, " (no manifest)");
      });
    }
  }
  logged(log, "aborting stale uploads", [&] {
    for (const auto& upload : storage.list_pending_uploads(kCheckpointKeyPrefix)) {
      const std::optional<CheckpointId> id = parse_checkpoint_key(upload.key);
      if (id && at_or_before(*id, newest)) storage.abort_pending_upload(upload);
    }
  });
}

}  // namespace ronde::checkpoint::detail
