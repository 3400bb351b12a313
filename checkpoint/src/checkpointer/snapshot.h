// Snapshot: what one rank saves at one step, copied out of the program's tensors.
//
// take_snapshot copies only the bytes this rank uploads: its pieces of the replicated tensors (the
// plan_uploads plan, the same on every rank) packed in plan order into its replicated shard, and
// its per-rank tensors packed in state order into its per-rank shard. The byte buffers are reused
// from one save to the next (resized, never shrunk), so steady-state snapshots do not allocate
// large memory. Checksums are left empty: the background persist computes them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ronde/checkpoint/checkpointer.h"
#include "ronde/checkpoint/manifest.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {

// Shard indices of shard_name(rank, index).
inline constexpr int kReplicatedShardIndex = 0;
inline constexpr int kPerRankShardIndex = 1;

struct Snapshot {
  std::int64_t step = 0;
  std::chrono::system_clock::time_point created{};
  int rank = 0;
  int world_size = 1;
  // Every replicated tensor (name, dtype, shape) with every rank's pieces (checksums empty).
  std::vector<TensorEntry> replicated;
  std::vector<RankUpload> plan;        // plan_uploads over `replicated`, indexed by rank
  std::vector<TensorEntry> per_rank;   // this rank's per-rank tensors, pieces in its per-rank shard
  std::map<std::string, std::string> metadata;
  std::string user_json;
  std::vector<OptimizerEntry> optimizers;
  std::vector<std::byte> replicated_bytes;  // this rank's replicated shard
  std::vector<std::byte> per_rank_bytes;    // this rank's per-rank shard
  // Digest of the replicated tensors' names, dtypes and shapes: equal on ranks that agree.
  std::string layout_digest;
  // When taking the snapshot failed on this rank: the error, which persist reports as this rank's
  // failure (so every rank fails the save together instead of waiting for this one).
  std::string failure;
  ErrorCode failure_code = ErrorCode::Internal;
};

// Fills `into` (reusing its buffers) from `state`. Error(InvalidArgument) naming the tensor for a
// non-CPU tensor, or naming the optimizer for an optimizer tensor missing from the state.
void take_snapshot(const CheckpointState& state, std::int64_t step, int rank, int world_size,
                   const UploadPlanOptions& plan_options, Snapshot& into);

}  // namespace ronde::checkpoint::detail
