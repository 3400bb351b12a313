// Fusion: which of a cycle's responses run together as one collective.
//
// Allreduces that agree in dtype, reduce op, device kind, scale factors and compression are
// packed, in response order, into batches of at most `threshold` bytes (counted in the dtype they
// travel in); anything else, any allreduce larger than the threshold, and any host allreduce
// larger than `host_tensor_limit` (whose copies would cost more than fusion saves) runs alone. A batch
// starts at its first member's position, so the plan depends only on the response list — the same
// on every rank, which is what makes every rank run the same collectives in the same order.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/messages.h"

namespace ronde::engine {

struct Batch {
  std::vector<std::size_t> members;  // indices into the response list, in order
};

// Bytes an allreduce moves: its element count times the size of the dtype it travels in.
std::size_t wire_bytes(const Request& request);
// Whether two allreduces may share a fused collective.
bool fusable(const Request& a, const Request& b);
struct FusionLimits {
  std::size_t threshold = 0;          // bytes per batch; 0 disables fusion
  std::size_t host_tensor_limit = 0;  // host allreduces above this run alone
};

// Whether `request` may be packed into a fusion buffer at all.
bool fusion_candidate(const Request& request, const FusionLimits& limits);
// `runs` are Run responses' requests; with fusion disabled every batch has one member.
std::vector<Batch> plan_batches(const std::vector<const Request*>& runs, const FusionLimits& limits);

}  // namespace ronde::engine
