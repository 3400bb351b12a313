// Fusion: which of a cycle's responses run together as one collective.
//
// Allreduces that agree in dtype, reduce op, device kind, scale factors and compression are
// packed, in response order, into batches of at most `threshold` bytes (counted in the dtype they
// travel in); anything else, and any allreduce larger than the threshold, runs alone. A batch
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
// `runs` are Run responses' requests; threshold 0 disables fusion (every batch has one member).
std::vector<Batch> plan_batches(const std::vector<const Request*>& runs, std::size_t threshold);

}  // namespace ronde::engine
