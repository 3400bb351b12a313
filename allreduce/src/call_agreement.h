// The cross-rank agreement check that runs before each collective (CollectiveOptions::
// verify_arguments): every rank shares what it is about to call, and if the calls differ every
// rank throws the same Error(Mismatch) listing each rank's call, instead of entering an
// algorithm that would hang or mix unrelated data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ronde/core/dtype.h"
#include "ronde/core/error.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/topology.h"
#include "ronde/core/transport.h"

namespace ronde {

enum class CollectiveKind : std::int64_t { Allreduce = 1, Broadcast, Barrier, Allgather, Reducescatter, Alltoall };

// What one rank asked for. Fields that do not apply to a kind stay 0.
struct CallSignature {
  CollectiveKind kind;
  std::int64_t count = 0;       // elements (allreduce, broadcast, reducescatter); row size otherwise
  std::int64_t dtype = 0;
  std::int64_t op_or_root = 0;  // ReduceOp, or the broadcast root
  std::int64_t detail = 0;      // a digest of the split sizes (reducescatter); 1: hierarchical (allreduce, allgather)
  std::int64_t on_cuda = 0;     // 1 for CUDA tensors: every rank must use the same kind of backend
};

std::string describe(const CallSignature& call);

// A small allreduce that travels in the agreement check's own messages, so that a small call
// costs one exchange instead of two: out = op over ranks of prescale * in (Average divided by n),
// written only once every rank is known to agree. `in` may equal `out`. Only for ops whose
// recursive-doubling result is the same bits on every rank (not floating-point min/max).
struct FoldedAllreduce {
  // The most data a folded call may carry. Every rank posts its receives for this much (plus the
  // table), so no message is ever larger than the receive that meets it, whatever the ranks call.
  static constexpr std::size_t kMaxBytes = 64 * 1024;

  const void* in;
  void* out;
  std::size_t count;
  DType dtype;
  ReduceOp op;
  double prescale = 1.0;
};

// Exchanges `mine` with every rank by recursive doubling: log2 n steps of one message each, the
// table of calls followed by `folded`'s partial result when there is one. `local_problem` is this
// rank's own argument error, if any: it travels as a flag so that every rank stops together. Then:
//  - this rank had a problem: throws it;
//  - another rank had one: throws Error(Mismatch) naming those ranks;
//  - the calls differ: throws Error(Mismatch) naming `operation` and every rank's call;
//  - the calls agree but some ranks folded their data and others did not (different
//    RONDE_SMALL_ALLREDUCE_BYTES): throws Error(Mismatch) saying so;
//  - otherwise `folded`, if given, holds the result in `out`.
// On every error `folded->out` is untouched. `topology` names the ranks' hosts in those messages.
// A folded call needs at least two ranks (one rank has nothing to exchange: callers run it alone).
void verify_agreement(Transport& transport, const Topology& topology, const CallSignature& mine, const char* operation,
                      const std::optional<Error>& local_problem, std::vector<std::byte>& scratch,
                      const FoldedAllreduce* folded = nullptr);

}  // namespace ronde
