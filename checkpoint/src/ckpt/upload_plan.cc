// plan_uploads: replicated tensors spread over ranks, largest piece first to the least-loaded rank
// (the rule and its bound are stated in manifest.h).
#include <algorithm>
#include <set>

#include "ronde/checkpoint/manifest.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint {

namespace {

void check_input(std::span<const PlanTensor> tensors, int world_size) {
  if (world_size < 1) {
    throw Error(ErrorCode::InvalidArgument, "upload plan: world size " + std::to_string(world_size) + " is below 1");
  }
  std::set<std::string_view> names;
  for (const auto& tensor : tensors) {
    if (tensor.name.empty()) throw Error(ErrorCode::InvalidArgument, "upload plan: a tensor has an empty name");
    if (!names.insert(tensor.name).second) {
      throw Error(ErrorCode::InvalidArgument, "upload plan: tensor '" + tensor.name + "' is listed twice");
    }
    if (tensor.alignment == 0 || tensor.bytes % tensor.alignment != 0) {
      throw Error(ErrorCode::InvalidArgument, "upload plan: tensor '" + tensor.name + "' has " +
                                                  std::to_string(tensor.bytes) + " bytes, not a multiple of its alignment " +
                                                  std::to_string(tensor.alignment));
    }
  }
}

// Cuts `tensor` (index `index`) into `count` pieces of nearly equal size on multiples of its
// alignment: the first (units % count) pieces get one unit more.
void cut(const PlanTensor& tensor, std::size_t index, std::uint64_t count, std::vector<PlannedPiece>& out) {
  const std::uint64_t units = tensor.bytes / tensor.alignment;
  count = std::min(count, units);
  std::uint64_t offset = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t piece_units = units / count + (i < units % count ? 1 : 0);
    const std::uint64_t length = piece_units * tensor.alignment;
    out.push_back({index, offset, length, 0});
    offset += length;
  }
}

}  // namespace

std::vector<RankUpload> plan_uploads(std::span<const PlanTensor> tensors, int world_size,
                                     const UploadPlanOptions& options) {
  check_input(tensors, world_size);
  const auto ranks = static_cast<std::uint64_t>(world_size);
  std::uint64_t total = 0;
  for (const auto& tensor : tensors) total += tensor.bytes;
  const std::uint64_t ideal = total / ranks + (total % ranks != 0 ? 1 : 0);
  const std::uint64_t limit = std::max<std::uint64_t>({ideal, options.min_split_bytes, 1});

  // 1-2: pieces.
  std::vector<PlannedPiece> pieces;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::uint64_t bytes = tensors[i].bytes;
    if (bytes == 0) continue;
    cut(tensors[i], i, bytes <= limit ? 1 : bytes / limit + (bytes % limit != 0 ? 1 : 0), pieces);
  }

  // 3: largest first, each to the least-loaded rank (lowest rank on ties).
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const PlannedPiece& a, const PlannedPiece& b) { return a.length > b.length; });
  std::vector<RankUpload> plan(ranks);
  for (const auto& piece : pieces) {
    auto target = std::min_element(plan.begin(), plan.end(),
                                   [](const RankUpload& a, const RankUpload& b) { return a.bytes < b.bytes; });
    target->pieces.push_back(piece);
    target->bytes += piece.length;
  }

  // Shard layout: each rank's pieces in input order, packed from offset 0.
  for (auto& rank : plan) {
    std::sort(rank.pieces.begin(), rank.pieces.end(), [](const PlannedPiece& a, const PlannedPiece& b) {
      return a.tensor != b.tensor ? a.tensor < b.tensor : a.tensor_offset < b.tensor_offset;
    });
    std::uint64_t offset = 0;
    for (auto& piece : rank.pieces) {
      piece.shard_offset = offset;
      offset += piece.length;
    }
  }
  return plan;
}

}  // namespace ronde::checkpoint
