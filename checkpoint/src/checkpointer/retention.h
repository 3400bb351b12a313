// Retention and cleanup, run by rank 0 after each commit (errors are logged, never thrown: the
// checkpoint that was just committed is safe whatever happens here).
//
//  - Committed checkpoints: the newest `keep_last` (0: all) are kept, plus those whose step is a
//    multiple of `keep_every` (> 0), plus always `newest`. Each other one is deleted MANIFEST FIRST,
//    then its shards, so a half-deleted checkpoint is never taken for a complete one.
//  - Orphans: prefixes without a manifest at a step <= newest's (other than newest itself) are
//    debris of saves that failed or crashed, and are removed. Prefixes at later steps are left
//    alone (they are cleaned once a commit passes them).
//  - Pending uploads (crashed multipart uploads, file-backend temporaries) under checkpoints other
//    than `newest`, at steps <= newest's, are aborted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ronde/checkpoint/manifest.h"
#include "ronde/checkpoint/storage.h"
#include "ronde/core/logging.h"

namespace ronde::checkpoint::detail {

struct RetentionPolicy {
  int keep_last = 0;
  std::int64_t keep_every = 0;
};

// What retention would remove, without removing anything (ronde-ckpt prune --dry-run shows it).
struct RetentionPlan {
  struct Removal {
    CheckpointId id;
    bool committed = false;         // committed: its manifest (manifest_key) is removed first
    std::string manifest_key;
    std::vector<std::string> keys;  // its other objects
    std::uint64_t bytes = 0;        // of every object, manifest included
  };
  std::vector<Removal> removals;             // oldest first
  std::vector<PendingUpload> stale_uploads;  // to abort
};

// Lists `storage` and plans the rules above for the checkpoints under `root_prefix` ("" when the
// storage is rooted at the checkpoint root, else e.g. "run-7/"); the plan's keys include it.
// Throws what the listing throws.
RetentionPlan plan_retention(Storage& storage, const RetentionPolicy& policy, const CheckpointId& newest,
                             const std::string& root_prefix = "");
// Carries out `plan`; each failure is logged as a warning and the rest goes on. Returns the number
// of failures.
int carry_out(Storage& storage, const RetentionPlan& plan, const Logger& log);
// plan_retention, then carry_out; a failed listing is logged too.
void apply_retention(Storage& storage, const RetentionPolicy& policy, const CheckpointId& newest, const Logger& log);

}  // namespace ronde::checkpoint::detail
