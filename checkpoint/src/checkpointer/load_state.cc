#include "checkpointer/load_state.h"

#include <span>
#include <vector>

#include "checkpointer/device_copy.h"
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

// Reads `saved`'s pieces into `target`: straight into a CPU tensor's memory; through `staging`
// (host memory) and `copier` into a CUDA tensor, each piece checked before it is copied.
void read_tensor(Storage& storage, const CheckpointId& id, const TensorEntry& saved, const StateTensor& target,
                 DeviceCopier& copier, std::vector<std::byte>& staging) {
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
    storage.get(id.key_of(piece.shard), destination, range);
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

void load_state(Storage& storage, const Manifest& manifest, int rank, int world_size, CheckpointState& state) {
  const std::string checkpoint = manifest.id.name();
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
  for (const auto& target : state.tensors()) {
    const TensorEntry* saved = target.scope == TensorScope::Replicated ? manifest.find_tensor(target.name)
                                                                       : find_in(*mine, target.name);
    read_tensor(storage, manifest.id, *saved, target, copier, staging);
  }
  copier.finish();
  for (const auto& saved : manifest.optimizers) {
    if (StateOptimizer* optimizer = state.find_optimizer(saved.name)) optimizer->metadata = saved.metadata;
  }
  state.metadata = manifest.metadata;
  state.user_json = manifest.user_json;
}

}  // namespace ronde::checkpoint::detail
