// Broadcast over the Transport interface: a pipelined chain from the root around the ring.
#pragma once

#include <cstddef>

#include "ring_allreduce.h"
#include "ronde/core/transport.h"

namespace ronde {

// Copies root's `bytes` at `data` into every rank's `data`. Uses options.segment_bytes and
// options.pipeline_depth like the ring allreduce.
void pipelined_broadcast(Transport& transport, void* data, std::size_t bytes, int root, const RingOptions& options);

}  // namespace ronde
