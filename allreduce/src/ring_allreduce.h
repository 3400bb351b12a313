// The ring algorithms over the Transport interface: reduce-scatter and allgather, alone or one
// after the other (allreduce), pipelined segment by segment. See ring_allreduce.cc.
#pragma once

#include <cstddef>
#include <vector>

#include "ring_partition.h"
#include "ronde/core/dtype.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/transport.h"

namespace ronde {

struct RingOptions {
  std::size_t segment_bytes = 256 * 1024;  // pipelining unit (rounded to whole elements)
  int pipeline_depth = 8;                  // receives posted ahead; at least 2 (see .cc)
  int send_window = 4;                     // sends posted and not yet complete; 0: no limit (see .cc)
};

// out = op over all ranks' `in` (count elements of dtype each). `in` may equal `out`. Every rank
// must call with the same count, dtype and op. `scratch` is resized as needed and may be reused
// across calls. Average divides the sum by the number of ranks.
void ring_allreduce(Transport& transport, const void* in, void* out, std::size_t count, DType dtype,
                    ReduceOp op, const RingOptions& options, std::vector<std::byte>& scratch);

// Reduce-scatter: chunk r of `work` (chunks as in `chunks`, which covers the whole of `in`) ends
// up holding op over all ranks' chunk r of `in`. `work` is a buffer of in's size whose other
// chunks are left with partial results; `in` may equal `work`.
void ring_reduce_scatter(Transport& transport, const void* in, void* work, const Partition& chunks, DType dtype,
                         ReduceOp op, const RingOptions& options, std::vector<std::byte>& scratch);

// Allgather: `own` holds this rank's contribution (chunk r's size, in elements of `dtype`); on
// return every chunk of `buffer` holds its owner's. `own` may already be chunk r of `buffer` (in
// place); otherwise it is sent from where it is and copied into place while the sends proceed.
void ring_allgather(Transport& transport, const void* own, void* buffer, const Partition& chunks, DType dtype,
                    const RingOptions& options);

}  // namespace ronde
