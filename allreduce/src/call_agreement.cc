// The agreement check. Every rank fills row `rank` of an n x kFields table of int64 (the other
// rows zero) and the ranks sum their tables by recursive doubling, which makes it an allgather of
// the rows. A small allreduce rides along: each message is [table | partial result], and each step
// adds the tables and combines the results (see recursive_doubling_allreduce.cc for the pairing).
//
// Why one message per step is safe when the ranks disagree: every collective begins with this
// exchange, on the same tag and with the same pairing, so the ranks' messages always meet; only
// their sizes can differ (a folded call carries its data, another call does not, or carries a
// different amount). Every receive is posted for the table plus FoldedAllreduce::kMaxBytes, the
// most any rank folds, so it takes whatever message meets it (a message is never truncated) and
// compares its size with its own; another size marks the exchange broken, and it goes on, so that
// every message is still matched. A broken step leaves rows missing on every rank downstream of it, and a clean
// exchange between disagreeing ranks leaves differing rows, so either every rank sees a complete
// table of equal calls (success) or every rank sees something wrong. In the second case the ranks
// repeat the exchange with the table alone (fixed size, so it always meets), which names exactly
// what differed.
#include "call_agreement.h"

#include <cstring>

#include "recursive_doubling_allreduce.h"

namespace ronde {

namespace {

constexpr std::size_t kFields = 8;  // the signature, then two flags:
constexpr std::size_t kErrorFlag = 6;   // this rank had an argument error
constexpr std::size_t kFoldedFlag = 7;  // this rank folded its allreduce into the exchange

std::vector<std::int64_t> own_row(const CallSignature& mine, bool problem, bool folded) {
  return {static_cast<std::int64_t>(mine.kind), mine.count, mine.dtype, mine.op_or_root, mine.detail, mine.on_cuda,
          problem ? 1 : 0, folded ? 1 : 0};
}

CallSignature signature_of(const std::int64_t* row) {
  return CallSignature{static_cast<CollectiveKind>(row[0]), row[1], row[2], row[3], row[4], row[5]};
}

// The exchange of [table | data] messages. `message` holds this rank's (table_bytes + data bytes),
// `incoming` receives the partner's (room for table_bytes + FoldedAllreduce::kMaxBytes).
class FoldedExchange {
 public:
  FoldedExchange(Transport& transport, std::byte* message, std::byte* incoming, std::size_t table_bytes,
                 const FoldedAllreduce* folded)
      : transport_(transport), message_(message), incoming_(incoming), table_bytes_(table_bytes), folded_(folded),
        bytes_(table_bytes + (folded ? folded->count * dtype_size(folded->dtype) : 0)) {}

  // Runs the exchange; afterwards `message` holds the summed table and the combined data, valid
  // when broken() is false.
  void run() {
    const int n = transport_.size(), rank = transport_.rank();
    const std::size_t capacity = table_bytes_ + FoldedAllreduce::kMaxBytes;
    auto recv = [&](int peer) { return transport_.recv_up_to(peer, incoming_, capacity, Tag::Allreduce, received_); };
    int p = 1;
    while (p * 2 <= n) p *= 2;
    if (rank >= p) {  // an extra: fold into rank - p, receive the result from it at the end
      transport_.send(rank - p, message_, bytes_, Tag::Allreduce)->wait();
      auto result = recv(rank - p);
      if (arrived(*result)) std::memcpy(message_, incoming_, bytes_);
      return;
    }
    if (rank < n - p) {
      auto extra = recv(rank + p);
      if (arrived(*extra)) combine();
    }
    for (int mask = 1; mask < p; mask <<= 1) {
      auto receive = recv(rank ^ mask);
      auto send = transport_.send(rank ^ mask, message_, bytes_, Tag::Allreduce);
      const bool ok = arrived(*receive);
      send->wait();  // `message` is about to change
      if (ok) combine();
    }
    if (rank < n - p) transport_.send(rank + p, message_, bytes_, Tag::Allreduce)->wait();
  }

  bool broken() const { return broken_; }

 private:
  // Waits for a receive; a message of another size (a rank that called something else) marks the
  // exchange broken. Errors (a lost rank) propagate.
  bool arrived(Transfer& receive) {
    receive.wait();
    if (received_ == bytes_) return true;
    broken_ = true;
    return false;
  }

  // Rows are disjoint, so adding tables unites them; the data is combined with the call's op
  // (both partners combine (mine, theirs) in opposite roles: the ops folded are commutative).
  void combine() {
    auto* table = reinterpret_cast<std::int64_t*>(message_);
    const auto* theirs = reinterpret_cast<const std::int64_t*>(incoming_);
    for (std::size_t i = 0; i < table_bytes_ / sizeof(std::int64_t); ++i) table[i] += theirs[i];
    if (folded_ && folded_->count) {
      reduce_elements(folded_->op, folded_->dtype, message_ + table_bytes_, incoming_ + table_bytes_,
                      message_ + table_bytes_, folded_->count);
    }
  }

  Transport& transport_;
  std::byte* message_;
  std::byte* incoming_;
  std::size_t table_bytes_;
  const FoldedAllreduce* folded_;
  std::size_t bytes_;
  std::size_t received_ = 0;
  bool broken_ = false;
};

// Every row present, no argument errors, every call and fold equal to row 0's.
bool all_agree(const std::vector<std::int64_t>& table, std::size_t n) {
  for (std::size_t r = 0; r < n; ++r) {
    const std::int64_t* row = &table[r * kFields];
    if (row[0] == 0 || row[kErrorFlag] != 0) return false;
    for (std::size_t f = 0; f < kFields; ++f) {
      if (row[f] != table[f]) return false;
    }
  }
  return true;
}

// The complete table says what was wrong: throws the error every rank must see.
void report(const std::vector<std::int64_t>& table, std::size_t n, const Topology& topology, const CallSignature& mine,
            const char* operation, const std::optional<Error>& local_problem) {
  if (local_problem) throw *local_problem;
  std::vector<int> failed, folding;
  for (std::size_t r = 0; r < n; ++r) {
    if (table[r * kFields + kErrorFlag]) failed.push_back(static_cast<int>(r));
    if (table[r * kFields + kFoldedFlag]) folding.push_back(static_cast<int>(r));
  }
  if (!failed.empty()) {
    throw Error(ErrorCode::Mismatch, std::string(operation) + ": " + topology.ranks_phrase(failed) +
                                         " passed invalid arguments (see the error on those ranks); no rank ran it");
  }
  bool calls_agree = true;
  for (std::size_t i = 0; i < table.size(); ++i) calls_agree &= i % kFields >= kErrorFlag || table[i] == table[i % kFields];
  if (!calls_agree) {
    std::string listing;
    for (std::size_t r = 0; r < n; ++r) {
      listing += (r ? "; " : "") + topology.rank_name(static_cast<int>(r)) + ": " + describe(signature_of(&table[r * kFields]));
    }
    throw Error(ErrorCode::Mismatch,
                std::string(operation) + ": the ranks called different collectives or with different arguments: " + listing);
  }
  if (!folding.empty() && folding.size() != n) {
    throw Error(ErrorCode::Mismatch, std::string(operation) + ": the ranks agree on the call (" + describe(mine) +
                                         ") but not on how to run it: " + topology.ranks_phrase(folding) +
                                         " took the small-message algorithm and the others did not; set the same "
                                         "RONDE_SMALL_ALLREDUCE_BYTES on every rank");
  }
}

}  // namespace

std::string describe(const CallSignature& call) {
  const std::string dtype = std::string(to_string(static_cast<DType>(call.dtype))) + (call.on_cuda ? " on cuda" : "");
  const std::string count = std::to_string(call.count);
  switch (call.kind) {
    case CollectiveKind::Allreduce:
      return "allreduce of " + count + " " + dtype + " (" + std::string(to_string(static_cast<ReduceOp>(call.op_or_root))) +
             (call.detail ? ", hierarchical" : "") + ")";
    case CollectiveKind::Broadcast:
      return "broadcast of " + count + " " + dtype + " from root " + std::to_string(call.op_or_root) +
             (call.detail ? " (hierarchical)" : "");
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

void verify_agreement(Transport& transport, const Topology& topology, const CallSignature& mine, const char* operation,
                      const std::optional<Error>& local_problem, std::vector<std::byte>& scratch,
                      const FoldedAllreduce* folded) {
  const std::size_t n = static_cast<std::size_t>(transport.size());
  const auto rank = static_cast<std::size_t>(transport.rank());
  if (local_problem) folded = nullptr;  // nothing to compute: only the flag travels
  if (n == 1) {
    if (local_problem) throw *local_problem;
    if (folded) throw Error(ErrorCode::Internal, "agreement check: a folded allreduce on one rank");
    return;
  }
  const std::size_t table_bytes = n * kFields * sizeof(std::int64_t);
  const std::size_t data_bytes = folded ? folded->count * dtype_size(folded->dtype) : 0;
  const std::size_t bytes = table_bytes + data_bytes;
  if (data_bytes > FoldedAllreduce::kMaxBytes) {
    throw Error(ErrorCode::Internal, "agreement check: a folded allreduce of " + std::to_string(data_bytes) + " bytes");
  }
  // The incoming half starts on a 64-byte boundary: its table is read as int64 and its data as
  // elements, whatever odd size this rank's data has.
  const std::size_t incoming_at = (bytes + 63) / 64 * 64;
  if (scratch.size() < incoming_at + table_bytes + FoldedAllreduce::kMaxBytes) {
    scratch.resize(incoming_at + table_bytes + FoldedAllreduce::kMaxBytes);
  }
  std::byte* message = scratch.data();
  std::memset(message, 0, table_bytes);
  const std::vector<std::int64_t> row = own_row(mine, local_problem.has_value(), folded != nullptr);
  std::memcpy(message + rank * kFields * sizeof(std::int64_t), row.data(), kFields * sizeof(std::int64_t));
  if (data_bytes) {
    std::memcpy(message + table_bytes, folded->in, data_bytes);
    if (folded->prescale != 1.0) scale_elements(folded->dtype, message + table_bytes, folded->count, folded->prescale);
  }

  FoldedExchange exchange(transport, message, message + incoming_at, table_bytes, folded);
  exchange.run();
  std::vector<std::int64_t> table(n * kFields);
  std::memcpy(table.data(), message, table_bytes);
  if (!exchange.broken() && all_agree(table, n)) {
    if (!folded) return;
    if (data_bytes) std::memcpy(folded->out, message + table_bytes, data_bytes);
    if (folded->op == ReduceOp::Average) divide_elements(folded->dtype, folded->out, folded->count, static_cast<std::int64_t>(n));
    return;
  }
  // Something differed: the table alone, at its fixed size, tells every rank what.
  std::fill(table.begin(), table.end(), 0);
  std::copy(row.begin(), row.end(), table.begin() + static_cast<std::ptrdiff_t>(rank * kFields));
  recursive_doubling_allreduce(transport, table.data(), table.data(), table.size(), DType::I64, ReduceOp::Sum, scratch);
  report(table, n, topology, mine, operation, local_problem);
  throw Error(ErrorCode::Internal, std::string(operation) + ": the agreement check's messages did not match although "
                                                            "every rank reports the same call (" + describe(mine) + ")");
}

}  // namespace ronde
