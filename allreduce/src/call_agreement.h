// The cross-rank agreement check that runs before each collective (CollectiveOptions::
// verify_arguments): every rank shares what it is about to call, and if the calls differ every
// rank throws the same Error(Mismatch) listing each rank's call, instead of entering an
// algorithm that would hang or mix unrelated data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ronde/core/error.h"
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

// Exchanges `mine` with every rank (one small allreduce). `local_problem` is this rank's own
// argument error, if any: it travels as a flag so that every rank stops together. Then:
//  - this rank had a problem: throws it;
//  - another rank had one: throws Error(Mismatch) naming those ranks;
//  - the calls differ: throws Error(Mismatch) naming `operation` and every rank's call.
// `topology` names the ranks' hosts in those messages.
void verify_agreement(Transport& transport, const Topology& topology, const CallSignature& mine, const char* operation,
                      const std::optional<Error>& local_problem, std::vector<std::byte>& scratch);

}  // namespace ronde
