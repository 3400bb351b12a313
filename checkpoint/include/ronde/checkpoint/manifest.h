// The checkpoint manifest: what a checkpoint holds and where its bytes are, as versioned JSON.
//
// A checkpoint is a set of immutable shard objects plus one manifest, all under the checkpoint's
// own key prefix:
//
//   ckpt-000000000100-3f9a1c2e/rank-00000-000.shard    tensor bytes uploaded by rank 0
//   ckpt-000000000100-3f9a1c2e/rank-00001-000.shard    ... by rank 1
//   ckpt-000000000100-3f9a1c2e/manifest.json           written last, create-only
//
// THE COMMIT RULE: a checkpoint exists if and only if its manifest exists. Every shard is written
// (and its size and checksum known) before the manifest; the manifest is written with a create-only
// put, so it appears whole or not at all, exactly once. A prefix without a manifest is debris of a
// save that did not finish and may be deleted; deleting a checkpoint removes the manifest first.
// docs/CHECKPOINT_FORMAT.md describes every field.
//
// This header holds three things the checkpointer builds on: the key layout (CheckpointId and the
// key helpers), the manifest's data model with its JSON form (to_json / parse_manifest, which checks
// every field and every byte range), and the upload plan that spreads replicated tensors over ranks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/core/dtype.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint {

// ---- key layout -------------------------------------------------------------------------------

// Every checkpoint object's key starts with this: list(kCheckpointKeyPrefix) finds them all.
inline constexpr std::string_view kCheckpointKeyPrefix = "ckpt-";
// The manifest's name inside a checkpoint's prefix.
inline constexpr std::string_view kManifestName = "manifest.json";
// Steps are written with 12 decimal digits so that key order is step order.
inline constexpr std::int64_t kMaxStep = 999'999'999'999;

// Which checkpoint: the training step it was taken at plus a random nonce, so that two saves of
// one step (a save retried after a crash, two jobs sharing a root by mistake) never share a key.
struct CheckpointId {
  std::int64_t step = 0;
  std::string nonce;  // 8 lowercase hex digits

  // A new id for `step` with a random nonce. Error(InvalidArgument) for a step outside 0..kMaxStep.
  static CheckpointId generate(std::int64_t step);

  // "ckpt-000000000100-3f9a1c2e". Error(InvalidArgument) when step or nonce is malformed.
  std::string name() const;
  std::string prefix() const;        // name() + "/"
  std::string manifest_key() const;  // prefix() + "manifest.json"
  // The key of object `object_name` of this checkpoint (a shard name from the manifest).
  std::string key_of(std::string_view object_name) const;

  friend bool operator==(const CheckpointId&, const CheckpointId&) = default;
};

// "rank-00003-000.shard": the index-th shard uploaded by `rank` (rank 0..99999, index 0..999).
// Error(InvalidArgument) outside those ranges.
std::string shard_name(int rank, int index);

// The checkpoint that `key` belongs to: the checkpoint's name ("ckpt-...-..."), its prefix, or any
// key under it. nullopt for keys that are not checkpoint keys.
std::optional<CheckpointId> parse_checkpoint_key(std::string_view key);
// True for "<checkpoint name>/manifest.json".
bool is_manifest_key(std::string_view key);
// Newest first: step descending; between two checkpoints of one step, nonce descending (an
// arbitrary but fixed order: the manifests' `created` times tell which is really newer).
void sort_newest_first(std::vector<CheckpointId>& ids);

// ---- the manifest -----------------------------------------------------------------------------

inline constexpr std::string_view kManifestFormat = "ronde-checkpoint";
inline constexpr int kManifestVersion = 1;

// How an encrypted shard was encrypted (docs/CHECKPOINT_FORMAT.md, "Encryption").
struct ShardEncryption {
  std::string salt;                  // 16 lowercase hex digits: the first 8 bytes of every frame's nonce
  std::uint64_t plaintext_size = 0;  // bytes before encryption; piece offsets are in these bytes

  friend bool operator==(const ShardEncryption&, const ShardEncryption&) = default;
};

// One shard object of the checkpoint.
struct ShardEntry {
  std::string key;         // the object's name inside the checkpoint prefix (shard_name())
  int rank = 0;            // the rank that uploaded it
  std::uint64_t size = 0;  // bytes of the stored object (encrypted, when the checkpoint is)
  std::string checksum;    // of the whole stored object (format_checksum)
  // Set exactly when the checkpoint is encrypted (Manifest::encryption).
  std::optional<ShardEncryption> encryption;

  // The bytes that piece offsets address: plaintext_size when encrypted, else size.
  std::uint64_t plaintext_size() const { return encryption ? encryption->plaintext_size : size; }

  friend bool operator==(const ShardEntry&, const ShardEntry&) = default;
};

// A checkpoint's client-side encryption: what is needed to decrypt its shards except the key.
struct ManifestEncryption {
  std::string algorithm = "aes-256-gcm-framed";  // the only one
  std::uint64_t frame_bytes = 0;                 // plaintext bytes per frame, 1..2^30
  std::string key_id;                            // EncryptionKey::id() of the key: 16 lowercase hex digits

  friend bool operator==(const ManifestEncryption&, const ManifestEncryption&) = default;
};

// A byte range of a tensor stored in a shard. Large tensors may be split into several pieces,
// usually in different shards (see plan_uploads).
struct TensorPiece {
  std::string shard;                // ShardEntry::key
  std::uint64_t offset = 0;         // first byte in the shard
  std::uint64_t length = 0;         // bytes, > 0
  std::uint64_t tensor_offset = 0;  // first byte in the tensor
  std::string checksum;             // of these `length` bytes

  friend bool operator==(const TensorPiece&, const TensorPiece&) = default;
};

// One tensor: dense, row-major. Its pieces, in tensor_offset order, cover bytes [0, nbytes())
// exactly once; a tensor of zero bytes has no pieces.
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<TensorPiece> pieces;

  // Element count x dtype size. Error(InvalidArgument) on a negative dimension or overflow.
  std::uint64_t nbytes() const;

  friend bool operator==(const TensorEntry&, const TensorEntry&) = default;
};

// State that differs per rank (data-loader position, RNG streams, ...), saved by that rank.
struct RankState {
  int rank = 0;
  std::vector<TensorEntry> tensors;

  friend bool operator==(const RankState&, const RankState&) = default;
};

// An optimizer's state: its metadata (optim::StateDict::metadata: kind, hyperparameters, step
// count, as exact text) and the names of the tensors holding its slots, which are entries of
// Manifest::tensors or of a RankState.
struct OptimizerEntry {
  std::string name;  // the optimizer's name in the program ("optimizer", "adamw", ...)
  std::map<std::string, std::string> metadata;
  std::vector<std::string> tensors;

  friend bool operator==(const OptimizerEntry&, const OptimizerEntry&) = default;
};

struct Manifest {
  CheckpointId id;
  // When the save began; kept with millisecond precision (finer digits are dropped by to_json).
  std::chrono::system_clock::time_point created{};
  int world_size = 1;                        // ranks of the job that saved it
  // Set when the shards are encrypted client-side (absent from the JSON otherwise).
  std::optional<ManifestEncryption> encryption;
  std::vector<ShardEntry> shards;            // the shard map
  std::vector<TensorEntry> tensors;          // replicated state: the same on every rank
  std::vector<RankState> per_rank;           // per-rank state, one entry per rank that has any
  std::vector<OptimizerEntry> optimizers;
  std::map<std::string, std::string> metadata;  // the program's key -> text pairs
  // A JSON document of the program's own (any JSON value), stored inline in the manifest, or
  // empty for none. It is kept in its compact form: parse_manifest returns the value re-serialised
  // without whitespace, with object keys sorted.
  std::string user_json;

  const TensorEntry* find_tensor(std::string_view name) const;  // in `tensors`; nullptr if absent
  const ShardEntry* find_shard(std::string_view key) const;      // nullptr if absent
  std::uint64_t total_bytes() const;                             // sum of the (stored) shard sizes

  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// The manifest as JSON text (pretty-printed; fields in the documented order). Checks the manifest
// first, as parse_manifest would, and throws Error(InvalidArgument) naming the first problem, so a
// manifest that cannot be read back is never written.
std::string to_json(const Manifest& manifest);

// Reads and checks a manifest. `origin` names it in errors (e.g. the manifest's URI). Anything
// unexpected is Error(Corrupt) naming the origin and the field, tensor or shard at fault: text
// that is not JSON, another format or version, a missing, unknown, duplicated or mistyped field, a
// negative or out-of-range number, a malformed checksum, name or timestamp, duplicate tensor,
// shard, rank or optimizer names, pieces that do not tile their tensor, a piece in an unknown
// shard or beyond its end, overlapping pieces in one shard, a rank outside the world size, an
// optimizer naming a tensor that is not there.
Manifest parse_manifest(std::string_view json, std::string_view origin = "manifest");

// The checks of parse_manifest on a manifest in memory; throws Error(`code`) naming `origin` and
// the first problem.
void validate_manifest(const Manifest& manifest, std::string_view origin = "manifest",
                       ErrorCode code = ErrorCode::Corrupt);

// ---- the upload plan ---------------------------------------------------------------------------

// A replicated tensor to be saved: its name and size. Splits fall on multiples of `alignment`
// (the element size, so no element straddles two pieces); `bytes` must be a multiple of it.
struct PlanTensor {
  std::string name;
  std::uint64_t bytes = 0;
  std::uint64_t alignment = 1;
};

struct PlannedPiece {
  std::size_t tensor = 0;           // index into the plan's input
  std::uint64_t tensor_offset = 0;  // first byte in the tensor
  std::uint64_t length = 0;         // bytes, > 0
  std::uint64_t shard_offset = 0;   // where it goes in the rank's shard
};

// What one rank uploads: one shard, its pieces in shard order (by input index, then offset).
struct RankUpload {
  std::vector<PlannedPiece> pieces;
  std::uint64_t bytes = 0;  // the shard's size
};

struct UploadPlanOptions {
  // Tensors are never split into pieces smaller than this (a split costs a request and a manifest
  // entry; below a few MiB balance is not worth it).
  std::uint64_t min_split_bytes = 4ull << 20;
};

// Spreads `tensors` over `world_size` ranks so that each uploads about 1/world_size of the bytes.
//   1. ideal = ceil(total / world_size); limit = max(ideal, min_split_bytes).
//   2. A tensor larger than `limit` is cut into ceil(bytes / limit) pieces of nearly equal size
//      (cuts on multiples of its alignment, so a piece exceeds `limit` by less than one element);
//      every other tensor is one piece.
//   3. Pieces, largest first (ties: input order, then offset), each go to the rank with the fewest
//      bytes so far (ties: the lowest rank) - the greedy "longest processing time" rule.
// Hence max rank bytes <= ideal + the largest piece <= ideal + the largest tensor.
// Deterministic: the same input gives the same plan on every rank, so ranks need not exchange it.
// Zero-byte tensors get no piece. Error(InvalidArgument) for world_size < 1, duplicate or empty
// names, a zero alignment or a size that is not a multiple of it.
std::vector<RankUpload> plan_uploads(std::span<const PlanTensor> tensors, int world_size,
                                     const UploadPlanOptions& options = {});

}  // namespace ronde::checkpoint
