// The server's state in checkpoints, through checkpoint::Checkpointer (a single-process context),
// under <checkpoint_uri>/shard-<index>.
//
// A checkpoint holds, per dense partition k, tensors "dense/k/values", "dense/k/accumulator"
// (when a sync step is partly pushed) and the optimizer record "dense/k/optimizer"; per sparse
// table k, "table/k/ids", "table/k/values", the rows' optimizer state ("table/k/steps",
// "table/k/state/<slot>") and partly pushed sync sums ("table/k/sum_ids", "table/k/sums"). Its
// user_json is the record of everything else: the shard map (format version, shard, shard count,
// every partition's layout), workers, mode, optimizer, versions and per-worker sequences.
//
// Each unit is snapshotted under its own lock, so every unit's values, optimizer state and
// sequences agree with each other (units are independent of one another). The checkpoint's step
// counts the server's checkpoints (the restored one's step + 1, ...), so newer states always have
// larger steps; a save is skipped when nothing changed since the last one (ServerCore::changes).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/context.h"
#include "ronde/core/env.h"
#include "server/server_core.h"

namespace ronde::ps::server {

// "<uri>/shard-<index>" (for s3:// URIs, before any "?query").
std::string shard_checkpoint_uri(const std::string& uri, std::uint32_t shard);

class StateCheckpointer {
 public:
  explicit StateCheckpointer(ServerCore& core);
  ~StateCheckpointer();

  struct Restored {
    std::int64_t step = 0;
    std::size_t partitions = 0;
    std::size_t tables = 0;
    std::size_t rows = 0;
    std::uint64_t max_version = 0;
  };
  // Restores the newest valid checkpoint into the (empty) registry; nullopt when there is none.
  // A checkpoint written for another shard index or count, another worker count or optimizer, or
  // another consistency mode (or, in sync mode, aggregation; in stale mode, staleness bound) is
  // Error(InvalidArgument) naming both values; a damaged one that the checkpointer cannot skip, its
  // error.
  std::optional<Restored> restore();

  struct Saved {
    std::int64_t step = 0;
    std::uint64_t bytes = 0;
    double seconds = 0;
    std::size_t units = 0;
  };
  // Saves the current state and marks what it holds durable; nullopt when nothing changed since
  // the last checkpoint. Throws the save's error (the server keeps serving); every unit's
  // checkpointed_version is then back at its last committed checkpoint's, so the step trigger
  // fires as if the failed save had not been tried. Not concurrent.
  std::optional<Saved> save();

  const std::string& uri() const { return uri_; }
  std::optional<std::int64_t> last_step() const { return last_step_; }

 private:
  ServerCore& core_;
  std::string uri_;
  MapEnvironment no_variables_;  // the context reads no launcher or SageMaker variables
  Context context_;
  std::unique_ptr<checkpoint::Checkpointer> checkpointer_;
  std::optional<std::int64_t> last_step_;  // of the last checkpoint saved or restored
  std::uint64_t saved_changes_ = 0;        // ServerCore::changes when it was taken
};

}  // namespace ronde::ps::server
