// Recursive-doubling allreduce over the Transport interface: log2(n) exchanges of the whole
// buffer. Latency-optimal, bandwidth-poor: for small buffers, where the ring's 2(n-1) steps cost
// more than the bytes.
#pragma once

#include <cstddef>
#include <vector>

#include "ronde/core/dtype.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/transport.h"

namespace ronde {

// Same contract as ring_allreduce: out = op over all ranks' `in`; `in` may equal `out`; every
// rank gets bit-identical results (each combination is computed by both partners from the same
// two operands, and the ops are commutative).
void recursive_doubling_allreduce(Transport& transport, const void* in, void* out, std::size_t count, DType dtype,
                                  ReduceOp op, std::vector<std::byte>& scratch);

}  // namespace ronde
