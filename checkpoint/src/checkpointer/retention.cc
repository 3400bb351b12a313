#include "checkpointer/retention.h"

#include <algorithm>
#include <exception>
#include <map>
#include <set>

namespace ronde::checkpoint::detail {
namespace {

struct Prefix {
  CheckpointId id;
  bool committed = false;
  std::vector<std::string> keys;  // every object but the manifest
  std::uint64_t bytes = 0;
};

// Keys in `prefixes` are full keys (with root_prefix); ids are parsed from what follows it.
std::map<std::string, Prefix> group_by_checkpoint(Storage& storage, const std::string& root_prefix) {
  std::map<std::string, Prefix> prefixes;
  for (const auto& object : storage.list(root_prefix + std::string(kCheckpointKeyPrefix))) {
    const std::optional<CheckpointId> id = parse_checkpoint_key(std::string_view(object.key).substr(root_prefix.size()));
    if (!id) continue;
    Prefix& prefix = prefixes[id->name()];
    prefix.id = *id;
    prefix.bytes += object.size;
    if (is_manifest_key(std::string_view(object.key).substr(root_prefix.size()))) {
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
bool logged(const Logger& log, const std::string& what, Fn&& action) {
  try {
    action();
    return true;
  } catch (const std::exception& error) {
    log.warn("checkpoint retention: ", what, " failed: ", error.what());
    return false;
  }
}

}  // namespace

RetentionPlan plan_retention(Storage& storage, const RetentionPolicy& policy, const CheckpointId& newest,
                             const std::string& root_prefix) {
  const std::map<std::string, Prefix> prefixes = group_by_checkpoint(storage, root_prefix);
  const std::set<std::string> keep = kept(prefixes, policy, newest);
  RetentionPlan plan;
  for (const auto& [name, prefix] : prefixes) {
    const bool drop_committed = prefix.committed && keep.count(name) == 0;
    const bool drop_incomplete = !prefix.committed && at_or_before(prefix.id, newest);
    if (drop_committed || drop_incomplete) plan.removals.push_back(
          {prefix.id, prefix.committed, root_prefix + prefix.id.manifest_key(), prefix.keys, prefix.bytes});
  }
  std::sort(plan.removals.begin(), plan.removals.end(),
            [](const auto& a, const auto& b) { return a.id.step < b.id.step || (a.id.step == b.id.step && a.id.name() < b.id.name()); });
  for (const auto& upload : storage.list_pending_uploads(root_prefix + std::string(kCheckpointKeyPrefix))) {
    const std::optional<CheckpointId> id = parse_checkpoint_key(std::string_view(upload.key).substr(root_prefix.size()));
    if (id && at_or_before(*id, newest)) plan.stale_uploads.push_back(upload);
  }
  return plan;
}

int carry_out(Storage& storage, const RetentionPlan& plan, const Logger& log) {
  int failures = 0;
  for (const auto& removal : plan.removals) {
    const std::string name = removal.id.name();
    if (removal.committed) {
      failures += !logged(log, "deleting checkpoint " + name, [&] {
        storage.remove(removal.manifest_key);  // first: the checkpoint stops existing
        storage.remove_all(removal.keys);
        log.info("deleted checkpoint ", name, " (retention)");
      });
    } else {
      failures += !logged(log, "removing incomplete checkpoint " + name, [&] {
        storage.remove_all(removal.keys);
        log.info("removed incomplete checkpoint ", name, " (no manifest)");
      });
    }
  }
  for (const auto& upload : plan.stale_uploads) {
    failures += !logged(log, "aborting the stale upload of " + upload.key, [&] { storage.abort_pending_upload(upload); });
  }
  return failures;
}

void apply_retention(Storage& storage, const RetentionPolicy& policy, const CheckpointId& newest, const Logger& log) {
  RetentionPlan plan;
  if (!logged(log, "listing " + storage.uri(), [&] { plan = plan_retention(storage, policy, newest); })) return;
  carry_out(storage, plan, log);
}

}  // namespace ronde::checkpoint::detail
