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

#include "ronde/checkpoint/manifest.h"
#include "ronde/checkpoint/storage.h"
#include "ronde/core/logging.h"

namespace ronde::checkpoint::detail {

struct RetentionPolicy {
  int keep_last = 0;
  std::int64_t keep_every = 0;
};

void apply_retention(Storage& storage, const RetentionPolicy& policy, const CheckpointId& newest, const Logger& log);

}  // namespace ronde::checkpoint::detail
