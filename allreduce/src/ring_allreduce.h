// Ring allreduce over the Transport interface: a reduce-scatter followed by an allgather, both
// pipelined segment by segment.
#pragma once

#include <cstddef>
#include <vector>

#include "ronde/core/dtype.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/transport.h"

namespace ronde {

struct RingOptions {
  std::size_t segment_bytes = 256 * 1024;  // pipelining unit (rounded to whole elements)
  int pipeline_depth = 4;                  // receives posted ahead; at least 2 (see .cc)
};

// out = op over all ranks' `in` (count elements of dtype each). `in` may equal `out`. Every rank
// must call with the same count, dtype and op. `scratch` is resized as needed and may be reused
// across calls. Average divides the sum by the number of ranks.
void ring_allreduce(Transport& transport, const void* in, void* out, std::size_t count, DType dtype,
                    ReduceOp op, const RingOptions& options, std::vector<std::byte>& scratch);

}  // namespace ronde
