#include "call_agreement.h"

#include "recursive_doubling_allreduce.h"
#include "ronde/core/dtype.h"
#include "ronde/core/error.h"
#include "ronde/core/reduce_op.h"

namespace ronde {

namespace {
constexpr std::size_t kFields = 7;  // the signature, then a "had an argument error" flag
constexpr std::size_t kErrorFlag = 6;
}

std::string describe(const CallSignature& call) {
  const std::string dtype = std::string(to_string(static_cast<DType>(call.dtype))) + (call.on_cuda ? " on cuda" : "");
  const std::string count = std::to_string(call.count);
  switch (call.kind) {
    case CollectiveKind::Allreduce:
      return "allreduce of " + count + " " + dtype + " (" + std::string(to_string(static_cast<ReduceOp>(call.op_or_root))) +
             (call.detail ? ", hierarchical" : "") + ")";
    case CollectiveKind::Broadcast:
      return "broadcast of " + count + " " + dtype + " from root " + std::to_string(call.op_or_root);
    case CollectiveKind::Barrier: return "barrier";
    case CollectiveKind::Allgather:
      return "allgather of rows of " + count + " " + dtype + (call.detail ? " (hierarchical)" : "");
    case CollectiveKind::Reducescatter:
      return "reducescatter of " + count + " " + dtype + " (" +
             std::string(to_string(static_cast<ReduceOp>(call.op_or_root))) + ", splits #" + std::to_string(call.detail) + ")";
    case CollectiveKind::Alltoall: return "alltoall of rows of " + count + " " + dtype;
  }
  return "unknown collective";
}

// Every rank fills row `rank` of an n x kFields table (other rows zero); a sum over ranks is then
// an allgather of the table.
void verify_agreement(Transport& transport, const Topology& topology, const CallSignature& mine, const char* operation,
                      const std::optional<Error>& local_problem, std::vector<std::byte>& scratch) {
  const std::size_t n = static_cast<std::size_t>(transport.size());
  if (n == 1 && local_problem) throw *local_problem;
  if (n == 1) return;
  std::vector<std::int64_t> table(n * kFields, 0);
  std::int64_t* row = &table[static_cast<std::size_t>(transport.rank()) * kFields];
  row[0] = static_cast<std::int64_t>(mine.kind), row[1] = mine.count, row[2] = mine.dtype;
  row[3] = mine.op_or_root, row[4] = mine.detail, row[5] = mine.on_cuda, row[kErrorFlag] = local_problem ? 1 : 0;
  recursive_doubling_allreduce(transport, table.data(), table.data(), table.size(), DType::I64, ReduceOp::Sum, scratch);
  if (local_problem) throw *local_problem;
  std::vector<int> failed;
  for (std::size_t r = 0; r < n; ++r) {
    if (table[r * kFields + kErrorFlag]) failed.push_back(static_cast<int>(r));
  }
  if (!failed.empty()) {
    throw Error(ErrorCode::Mismatch, std::string(operation) + ": " + topology.ranks_phrase(failed) +
                                         " passed invalid arguments (see the error on those ranks); no rank ran it");
  }
  bool agree = true;
  for (std::size_t i = 0; i < table.size(); ++i) agree &= i % kFields == kErrorFlag || table[i] == table[i % kFields];
  if (agree) return;
  std::string listing;
  for (std::size_t r = 0; r < n; ++r) {
    const std::int64_t* f = &table[r * kFields];
    listing += (r ? "; " : "") + topology.rank_name(static_cast<int>(r)) + ": " +
               describe(CallSignature{static_cast<CollectiveKind>(f[0]), f[1], f[2], f[3], f[4], f[5]});
  }
  throw Error(ErrorCode::Mismatch,
              std::string(operation) + ": the ranks called different collectives or with different arguments: " + listing);
}

}  // namespace ronde
