// The Checkpointer: sharded, verified, asynchronous checkpoints of a training job, and resume.
//
//   ronde::checkpoint::CheckpointState state;
//   state.add_replicated("fc1.w", Tensor::of(w));          // the same on every rank
//   state.add_per_rank("loader/position", Tensor::of(pos)); // this rank's own
//   ronde::checkpoint::Checkpointer ck(ctx, "s3://bucket/run-7", {.every_steps = 100, .keep_last = 3});
//   std::int64_t start = ck.restore_latest(state).value_or(0);
//   for (std::int64_t step = start; step < total; ++step) {
//     train_one_step();
//     ck.maybe_save(step, state);          // stalls only for the host snapshot
//     if (ck.interrupted()) { ck.save_now(step, state); return kExitCheckpointedAfterInterruption; }
//   }
//   ck.wait();
//
// Every call except interrupted() and the accessors is COLLECTIVE: every rank of the context calls
// it, with the same step, in the same order. docs/CHECKPOINTS.md describes the whole design.
//
// THE COMMIT PROTOCOL of one save (docs/CHECKPOINT_FORMAT.md has the format it writes):
//  1. Snapshot (caller's thread): each rank copies into reusable host staging buffers only what it
//     uploads: its part of the replicated tensors (plan_uploads gives each rank ~1/N of the bytes,
//     the same plan on every rank) and its own per-rank tensors.
//  2. Rank 0 draws the checkpoint's id (step + random nonce) and sends its name to every rank
//     (Tag::Checkpoint); a rank whose step differs fails the save.
//  3. Each rank checksums (XXH3) and puts its shard objects: rank-RRRRR-000.shard (replicated
//     pieces), rank-RRRRR-001.shard (per-rank tensors).
//  4. Each rank reports to rank 0: success or its error, its shards' keys, sizes and checksums, its
//     pieces' checksums, its per-rank tensors and a digest of its replicated tensors' names,
//     dtypes and shapes (ranks that disagree fail the save with Error(Mismatch)).
//  5. Rank 0, if every rank succeeded, writes manifest.json with a create-only put, LAST.
//  6. Rank 0 sends the outcome to every rank. On failure there is no manifest, each rank removes
//     the shards it wrote, and every rank's save fails with the same Error naming the rank and key.
// A checkpoint exists if and only if its manifest does; a crash at any point leaves at most a
// prefix without a manifest, which restore ignores and retention deletes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/checkpoint/encryption.h"
#include "ronde/checkpoint/interruption.h"
#include "ronde/checkpoint/manifest.h"
#include "ronde/checkpoint/storage.h"
#include "ronde/core/context.h"
#include "ronde/core/env.h"
#include "ronde/core/tensor.h"

namespace ronde::checkpoint {

// Exit codes a program returns after an interruption (documented in docs/CHECKPOINTS.md):
// interrupted and the final checkpoint is committed (a restart resumes from it) ...
inline constexpr int kExitCheckpointedAfterInterruption = 0;
// ... interrupted and the final checkpoint failed (a restart resumes from an older one).
inline constexpr int kExitCheckpointFailed = 74;  // EX_IOERR

// ---- what is saved ------------------------------------------------------------------------------

enum class TensorScope {
  Replicated,  // identical on every rank (data-parallel parameters, optimizer state)
  PerRank,     // this rank's own (data-loader position, RNG streams); saved by its rank
};

struct StateTensor {
  std::string name;
  Tensor tensor;  // a view of the program's host memory: saved from, restored into
  TensorScope scope = TensorScope::Replicated;
};

// An optimizer's state dict metadata and the names of its tensors (entries of the state).
struct StateOptimizer {
  std::string name;
  std::map<std::string, std::string> metadata;
  std::vector<std::string> tensors;
};

// The state a program checkpoints: named tensors (views of its memory, or buffers the state owns),
// text metadata, a JSON document and optimizer records. Tensors may be CPU tensors or, in builds
// with CUDA, CUDA tensors (docs/CHECKPOINTS.md: how their snapshot is ordered with the program's work).
class CheckpointState {
 public:
  // Adds a view; Error(InvalidArgument) for an empty or duplicate name, or a CUDA tensor in a build
  // without CUDA.
  void add_replicated(std::string name, Tensor tensor);
  void add_per_rank(std::string name, Tensor tensor);
  // Adds a tensor whose zeroed bytes the state owns (for state with no home of its own, e.g. an
  // optimizer's state dict); returns the view. Same checks as above.
  Tensor add_owned(std::string name, DType dtype, std::vector<std::int64_t> shape,
                   TensorScope scope = TensorScope::Replicated);
  // Records an optimizer; its tensors must be added to the state too (checked when saving).
  void add_optimizer(StateOptimizer optimizer);

  const std::vector<StateTensor>& tensors() const { return tensors_; }
  const StateTensor* find(std::string_view name) const;  // nullptr if absent
  const std::vector<StateOptimizer>& optimizers() const { return optimizers_; }
  StateOptimizer* find_optimizer(std::string_view name);

  // Key -> text pairs the program keeps with the checkpoint (data position, RNG seeds, ...).
  // restore_latest replaces them with the checkpoint's.
  std::map<std::string, std::string> metadata;
  // A JSON document (any value), or empty for none; restored in compact form with sorted keys.
  std::string user_json;

 private:
  void add(std::string name, Tensor tensor, TensorScope scope);
  std::vector<StateTensor> tensors_;
  std::vector<StateOptimizer> optimizers_;
  std::vector<std::vector<std::byte>> owned_;
};

// ---- options --------------------------------------------------------------------------------------

struct CheckpointerOptions {
  // maybe_save saves when step % every_steps == 0; 0 never. RONDE_CHECKPOINT_EVERY_STEPS.
  std::int64_t every_steps = 0;
  // Committed checkpoints kept: the newest keep_last (0 keeps all) ... RONDE_CHECKPOINT_KEEP_LAST.
  int keep_last = 0;
  // ... plus those whose step is a multiple of keep_every (0: none). RONDE_CHECKPOINT_KEEP_EVERY.
  std::int64_t keep_every = 0;
  // maybe_save persists in a background thread (false: it blocks like save()).
  bool async = true;
  // Install the SIGTERM/SIGINT watcher (and the spot-notice poller if configured) for interrupted().
  bool watch_interruptions = true;
  // nullopt: InterruptionOptions::from_env() / StorageOptions::from_env() when the checkpointer opens.
  std::optional<InterruptionOptions> interruption;
  std::optional<StorageOptions> storage;
  UploadPlanOptions plan;
  // Where the checkpointer logs (fallbacks, retention, commits); nullopt: the context's logger.
  std::optional<Logger> logger;
  // Client-side encryption at rest (encryption.h): with a key, every shard saved is encrypted with
  // AES-256-GCM and encrypted checkpoints can be restored. nullopt: EncryptionKey::from_env() when
  // the checkpointer opens (RONDE_CHECKPOINT_KEY_FILE, RONDE_CHECKPOINT_KEY); none set: no encryption.
  std::optional<EncryptionKey> encryption_key;
  // Plaintext bytes per encrypted frame (1..kMaxEncryptionFrameBytes): a restore reads and decrypts
  // whole frames, so a piece costs at most two partial frames more than its own bytes.
  std::uint64_t encryption_frame_bytes = kDefaultEncryptionFrameBytes;

  // Defaults overridden by RONDE_CHECKPOINT_EVERY_STEPS, RONDE_CHECKPOINT_KEEP_LAST and
  // RONDE_CHECKPOINT_KEEP_EVERY of `env` (Error(InvalidArgument) naming a malformed or negative one);
  // encryption_key from RONDE_CHECKPOINT_KEY_FILE / RONDE_CHECKPOINT_KEY (EncryptionKey::from_env).
  static CheckpointerOptions from_env(const Environment& env = Environment::process());
};

// The URI a checkpointer opens: `uri` itself when not empty; otherwise, in a SageMaker container,
// file://<root>/checkpoints (which the platform syncs to S3); otherwise Error(InvalidArgument).
std::string resolve_checkpoint_uri(std::string_view uri, const std::optional<SageMakerConfig>& sagemaker);

// ---- the checkpointer -----------------------------------------------------------------------------

class Checkpointer {
 public:
  // Opens resolve_checkpoint_uri(uri, context.sagemaker()). The context must outlive this object.
  Checkpointer(Context& context, std::string_view uri, CheckpointerOptions options = {});
  // Over a storage the program opened itself (shared with it).
  Checkpointer(Context& context, std::shared_ptr<Storage> storage, CheckpointerOptions options = {});
  // Waits for a save in flight; its error, if any, is logged, not thrown.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Restores the newest checkpoint whose manifest parses and whose every shard has its recorded
  // size and checksum, into `state`; older ones are tried in turn, each skip logged as a warning
  // naming the checkpoint and what was wrong. Rank 0 chooses; every rank restores the same one.
  // Returns its step, or nullopt when there is none (the state is then untouched). When committed
  // checkpoints exist but none is usable, throws Error(Corrupt) naming the newest one's problem on
  // every rank (state untouched) instead of starting from scratch, which would lose their progress.
  // Replicated tensors restore at any world size; per-rank tensors need the saving world size.
  // A tensor of `state` missing from the checkpoint is Error(NotFound), a dtype or shape that
  // differs is Error(Mismatch), each naming the tensor (on every rank). Tensors of the checkpoint
  // not in `state` are ignored. Waits for a save in flight first.
  std::optional<std::int64_t> restore_latest(CheckpointState& state);

  // Saves when options.every_steps divides `step` (returns true then): waits for the previous save,
  // snapshots `state` and returns; the save completes in the background. The program may change
  // its tensors as soon as this returns. The error of an earlier background save is thrown (once,
  // on every rank, instead of starting a save) by the next call that saves - maybe_save at a save
  // step, save, wait - so that every rank fails at the same step.
  bool maybe_save(std::int64_t step, const CheckpointState& state);
  // Saves now and returns once the checkpoint is committed (or throws why not).
  void save(std::int64_t step, const CheckpointState& state);
  // Waits for the save in flight; throws its error.
  void wait();

  // True once this rank's watcher saw SIGTERM/SIGINT or a spot notice (false without a watcher).
  // This rank's view: a multi-rank program must call save_now at the same step on every rank.
  bool interrupted() const;
  // The watcher, or nullptr when options.watch_interruptions is false.
  InterruptionWatcher* watcher();
  // The final save after an interruption. A save in flight of an earlier step is superseded: it
  // stops before its next shard upload (failing on every rank, no manifest, its shards removed) so
  // that the final checkpoint gets the bandwidth; one of this same step is let finish and is the
  // final checkpoint. Then saves synchronously, and warns if it ended after the watcher's deadline
  // (interruption + RONDE_TERMINATION_GRACE_S). Throws when the final checkpoint is not committed.
  // With a watcher, SIGTERM and SIGINT stay caught for the rest of the process from here on (also
  // after this Checkpointer is destroyed): the job is stopping, and a signal that reaches a rank
  // late (a platform stopping each host in turn) must not kill a rank that has saved.
  void save_now(std::int64_t step, const CheckpointState& state);

  // In a SageMaker container, writes `reason` to /opt/ml/output/failure and returns true; false
  // elsewhere. Never throws (a failure to write is logged).
  bool write_failure_reason(std::string_view reason) const;

  // Saves `state` as a checkpoint of `step` (the same format, one synchronous save) under
  // `directory`, by default the SageMaker model directory (SM_MODEL_DIR, or <root>/model), which the
  // platform uploads as the job's model artifact; returns the directory. Restore reads it back with
  // a Checkpointer on file://<directory>, and ronde-ckpt inspects it. Collective; waits for a save
  // in flight first (and throws its error). Error(InvalidArgument) outside a SageMaker container
  // when no directory is given.
  std::filesystem::path save_model(std::int64_t step, const CheckpointState& state,
                                   std::optional<std::filesystem::path> directory = std::nullopt);

  Storage& storage();
  // The id of the last checkpoint this object committed.
  std::optional<CheckpointId> last_committed() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ronde::checkpoint
