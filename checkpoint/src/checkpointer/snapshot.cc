#include "checkpointer/snapshot.h"

#include <algorithm>
#include <cstring>

#include "checkpointer/device_copy.h"
#include "ronde/checkpoint/checksum.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {
namespace {

TensorEntry describe(const StateTensor& entry) {
  TensorEntry out;
  out.name = entry.name;
  out.dtype = entry.tensor.dtype();
  out.shape = entry.tensor.shape();
  return out;
}

std::string digest_layout(const std::vector<TensorEntry>& tensors) {
  Checksum sum;
  for (const auto& tensor : tensors) {
    sum.update(tensor.name);
    sum.update(std::string_view("\0", 1));
    sum.update(to_string(tensor.dtype));
    sum.update(shape_to_string(tensor.shape));
    sum.update(std::string_view("\n", 1));
  }
  return sum.hex();
}

void check_optimizers(const CheckpointState& state) {
  for (const auto& optimizer : state.optimizers()) {
    for (const auto& name : optimizer.tensors) {
      if (state.find(name) == nullptr) {
        throw Error(ErrorCode::InvalidArgument, "optimizer '" + optimizer.name + "' names tensor '" + name +
                                                    "', which is not in the checkpoint state");
      }
    }
  }
}

}  // namespace

void take_snapshot(const CheckpointState& state, std::int64_t step, int rank, int world_size,
                   const UploadPlanOptions& plan_options, Snapshot& into) {
  into.failure.clear();
  into.step = step;
  into.plan.assign(static_cast<std::size_t>(world_size), RankUpload{});
  check_optimizers(state);
  into.created = std::chrono::system_clock::now();
  into.rank = rank;
  into.world_size = world_size;
  into.replicated.clear();
  into.per_rank.clear();

  std::vector<const Tensor*> replicated_views;
  std::vector<const Tensor*> per_rank_views;
  for (const auto& entry : state.tensors()) {
    if (entry.scope == TensorScope::Replicated) {
      into.replicated.push_back(describe(entry));
      replicated_views.push_back(&entry.tensor);
    } else {
      into.per_rank.push_back(describe(entry));
      per_rank_views.push_back(&entry.tensor);
    }
  }
  into.layout_digest = digest_layout(into.replicated);

  // Replicated tensors: the plan, every rank's pieces in the entries, this rank's bytes staged.
  std::vector<PlanTensor> plan_input;
  for (const auto& tensor : into.replicated) {
    plan_input.push_back({tensor.name, tensor.nbytes(), dtype_size(tensor.dtype)});
  }
  into.plan = plan_uploads(plan_input, world_size, plan_options);
  for (int r = 0; r < world_size; ++r) {
    for (const auto& piece : into.plan[static_cast<std::size_t>(r)].pieces) {
      into.replicated[piece.tensor].pieces.push_back(
          {shard_name(r, kReplicatedShardIndex), piece.shard_offset, piece.length, piece.tensor_offset, ""});
    }
  }
  for (auto& tensor : into.replicated) {
    std::sort(tensor.pieces.begin(), tensor.pieces.end(),
              [](const TensorPiece& a, const TensorPiece& b) { return a.tensor_offset < b.tensor_offset; });
  }
  const RankUpload& mine = into.plan[static_cast<std::size_t>(rank)];
  into.replicated_bytes.resize(mine.bytes);
  DeviceCopier copier;  // CPU tensors: memcpy; CUDA tensors: async copies, waited for below
  for (const auto& piece : mine.pieces) {
    copier.to_host(into.replicated_bytes.data() + piece.shard_offset, *replicated_views[piece.tensor],
                   piece.tensor_offset, piece.length);
  }

  // Per-rank tensors: packed whole, in state order, into this rank's per-rank shard.
  std::uint64_t offset = 0;
  for (auto& tensor : into.per_rank) {
    const std::uint64_t bytes = tensor.nbytes();
    if (bytes > 0) tensor.pieces.push_back({shard_name(rank, kPerRankShardIndex), offset, bytes, 0, ""});
    offset += bytes;
  }
  into.per_rank_bytes.resize(offset);
  for (std::size_t i = 0; i < into.per_rank.size(); ++i) {
    for (const auto& piece : into.per_rank[i].pieces) {
      copier.to_host(into.per_rank_bytes.data() + piece.offset, *per_rank_views[i], 0, piece.length);
    }
  }
  copier.finish();

  into.metadata = state.metadata;
  into.user_json = state.user_json;
  into.optimizers.clear();
  for (const auto& optimizer : state.optimizers()) {
    into.optimizers.push_back({optimizer.name, optimizer.metadata, optimizer.tensors});
  }
}

}  // namespace ronde::checkpoint::detail
