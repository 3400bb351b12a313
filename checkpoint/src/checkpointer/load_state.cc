#include "checkpointer/load_state.h"

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "checkpointer/device_copy.h"
#include "ckpt/frame_cipher.h"
#include "ronde/checkpoint/checksum.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {
namespace {

const TensorEntry* find_in(const std::vector<TensorEntry>& tensors, std::string_view name) {
  for (const auto& tensor : tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

void check_compatible(const TensorEntry& saved, const StateTensor& target, const std::string& checkpoint) {
  if (saved.dtype != target.tensor.dtype() || saved.shape != target.tensor.shape()) {
    throw Error(ErrorCode::Mismatch, "tensor '" + target.name + "' is " + std::string(to_string(saved.dtype)) +
                                         shape_to_string(saved.shape) + " in checkpoint " + checkpoint +
                                         " but " + std::string(to_string(target.tensor.dtype())) +
                                         shape_to_string(target.tensor.shape()) + " in the state");
  }
}

// Reads plaintext bytes [offset, offset + destination.size()) of an encrypted shard: gets the frames
// holding them, decrypts and authenticates each, and copies out the requested bytes.
class EncryptedReader {
 public:
  EncryptedReader(const Manifest& manifest, const EncryptionKey& key) : manifest_(manifest), key_(key) {}

  void read(Storage& storage, const ShardEntry& shard, std::uint64_t offset, std::span<std::byte> destination) {
    const std::uint64_t frame_bytes = manifest_.encryption->frame_bytes;
    const std::uint64_t plain_size = shard.plaintext_size();
    const std::string checkpoint = manifest_.id.name();
    const FrameSpan span = frames_for(offset, destination.size(), plain_size, frame_bytes);
    stored_.resize(span.stored_length);
    GetOptions range;
    range.offset = span.stored_offset;
    range.length = span.stored_length;
    const std::size_t got = storage.get(manifest_.id.key_of(shard.key), stored_, range);
    if (got != span.stored_length) {
      throw Error(ErrorCode::Corrupt, "shard '" + shard.key + "' of checkpoint " + checkpoint + ": read " +
                                          std::to_string(got) + " of " + std::to_string(span.stored_length) +
                                          " encrypted bytes at offset " + std::to_string(span.stored_offset));
    }
    const auto salt = salt_from_hex(shard.encryption->salt);  // checked by parse_manifest
    FrameCipher cipher(key_, checkpoint, shard.key, salt.value(), frame_bytes);
    plain_.resize(frame_bytes);
    std::uint64_t stored_at = 0;
    for (std::uint64_t i = 0; i < span.frames; ++i) {
      const std::uint64_t frame = span.first_frame + i;
      const std::uint64_t frame_begin = frame * frame_bytes;
      const std::uint64_t frame_length = std::min(frame_bytes, plain_size - frame_begin);
      const std::span<std::byte> plain(plain_.data(), frame_length);
      if (!cipher.decrypt_frame(frame, std::span<const std::byte>(stored_).subspan(stored_at, frame_length + kFrameTagBytes),
                                plain)) {
        throw Error(ErrorCode::Corrupt, "shard '" + shard.key + "' of checkpoint " + checkpoint + ": frame " +
                                            std::to_string(frame) + " (stored bytes " +
                                            std::to_string(span.stored_offset + stored_at) + "..) fails AES-256-GCM "
                                            "authentication with key " + key_.id() + ": the stored bytes were "
                                            "corrupted or altered");
      }
      stored_at += frame_length + kFrameTagBytes;
      // The part of this frame inside [offset, offset + size).
      const std::uint64_t from = std::max(offset, frame_begin);
      const std::uint64_t to = std::min<std::uint64_t>(offset + destination.size(), frame_begin + frame_length);
      std::copy(plain_.begin() + static_cast<std::ptrdiff_t>(from - frame_begin),
                plain_.begin() + static_cast<std::ptrdiff_t>(to - frame_begin),
                destination.begin() + static_cast<std::ptrdiff_t>(from - offset));
    }
  }

 private:
  const Manifest& manifest_;
  const EncryptionKey& key_;
  std::vector<std::byte> stored_;  // reused: the frames of one piece
  std::vector<std::byte> plain_;   // reused: one decrypted frame
};

// Error(Unauthenticated) unless `key` can decrypt the encrypted checkpoint `manifest`.
void check_key(const Manifest& manifest, const std::optional<EncryptionKey>& key) {
  if (!manifest.encryption) return;
  const std::string& wanted = manifest.encryption->key_id;
  if (!key) {
    throw Error(ErrorCode::Unauthenticated,
                "checkpoint " + manifest.id.name() + " is encrypted (" + manifest.encryption->algorithm +
                    ", key id " + wanted + ") and no key is configured: set RONDE_CHECKPOINT_KEY_FILE (or "
                    "RONDE_CHECKPOINT_KEY) to the key with id " + wanted);
  }
  if (key->id() != wanted) {
    throw Error(ErrorCode::Unauthenticated, "checkpoint " + manifest.id.name() + " is encrypted with key id " + wanted +
                                                " but the configured key has id " + key->id());
  }
}

// Reads `saved`'s pieces into `target`: straight into a CPU tensor's memory; through `staging`
// (host memory) and `copier` into a CUDA tensor, each piece checked before it is copied.
void read_tensor(Storage& storage, const Manifest& manifest, EncryptedReader* decrypt, const TensorEntry& saved,
                 const StateTensor& target, DeviceCopier& copier, std::vector<std::byte>& staging) {
  const CheckpointId& id = manifest.id;
  const bool on_host = target.tensor.device().is_cpu();
  std::span<std::byte> bytes(static_cast<std::byte*>(target.tensor.data()), target.tensor.nbytes());
  for (const auto& piece : saved.pieces) {
    if (!on_host) {
      copier.finish();  // the previous piece has left `staging`
      staging.resize(piece.length);
    }
    std::span<std::byte> destination =
        on_host ? bytes.subspan(piece.tensor_offset, piece.length) : std::span<std::byte>(staging);
    GetOptions range;
    range.offset = piece.offset;
    range.length = piece.length;
    if (decrypt != nullptr) {
      decrypt->read(storage, *manifest.find_shard(piece.shard), piece.offset, destination);
    } else {
      storage.get(id.key_of(piece.shard), destination, range);
    }
    if (checksum_hex(destination) != piece.checksum) {
      throw Error(ErrorCode::Corrupt, "tensor '" + target.name + "': bytes " + std::to_string(piece.offset) + ".." +
                                          std::to_string(piece.offset + piece.length) + " of shard '" + piece.shard +
                                          "' of checkpoint " + id.name() + " do not match their checksum");
    }
    if (!on_host) copier.to_tensor(target.tensor, piece.tensor_offset, staging.data(), piece.length);
  }
}

const std::vector<TensorEntry>* per_rank_tensors(const Manifest& manifest, int rank) {
  for (const auto& entry : manifest.per_rank) {
    if (entry.rank == rank) return &entry.tensors;
  }
  return nullptr;
}

}  // namespace

void load_state(Storage& storage, const Manifest& manifest, int rank, int world_size, CheckpointState& state,
                const std::optional<EncryptionKey>& key) {
  const std::string checkpoint = manifest.id.name();
  check_key(manifest, key);
  const std::vector<TensorEntry> none;
  const std::vector<TensorEntry>* mine = per_rank_tensors(manifest, rank);
  for (const auto& target : state.tensors()) {
    const TensorEntry* saved = nullptr;
    if (target.scope == TensorScope::Replicated) {
      saved = manifest.find_tensor(target.name);
    } else {
      if (manifest.world_size != world_size) {
        throw Error(ErrorCode::Mismatch, "per-rank tensor '" + target.name + "' cannot be restored: checkpoint " +
                                             checkpoint + " was saved by " + std::to_string(manifest.world_size) +
                                             " ranks, this job has " + std::to_string(world_size));
      }
      saved = find_in(mine ? *mine : none, target.name);
    }
    if (saved == nullptr) {
      throw Error(ErrorCode::NotFound, std::string(target.scope == TensorScope::Replicated ? "" : "per-rank ") +
                                           "tensor '" + target.name + "' is not in checkpoint " + checkpoint +
                                           (target.scope == TensorScope::PerRank ? " for rank " + std::to_string(rank) : ""));
    }
    check_compatible(*saved, target, checkpoint);
  }
  for (auto& optimizer : state.optimizers()) {
    bool found = false;
    for (const auto& saved : manifest.optimizers) found = found || saved.name == optimizer.name;
    if (!found) {
      throw Error(ErrorCode::NotFound, "optimizer '" + optimizer.name + "' is not in checkpoint " + checkpoint);
    }
  }
  // Everything matches: read the bytes, then the records.
  DeviceCopier copier;
  std::vector<std::byte> staging;
  std::optional<EncryptedReader> decrypt;
  if (manifest.encryption) decrypt.emplace(manifest, *key);
  for (const auto& target : state.tensors()) {
    const TensorEntry* saved = target.scope == TensorScope::Replicated ? manifest.find_tensor(target.name)
                                                                       : find_in(*mine, target.name);
    read_tensor(storage, manifest, decrypt ? &*decrypt : nullptr, *saved, target, copier, staging);
  }
  copier.finish();
  for (const auto& saved : manifest.optimizers) {
    if (StateOptimizer* optimizer = state.find_optimizer(saved.name)) optimizer->metadata = saved.metadata;
  }
  state.metadata = manifest.metadata;
  state.user_json = manifest.user_json;
}

}  // namespace ronde::checkpoint::detail
