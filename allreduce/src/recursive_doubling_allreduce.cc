// Recursive doubling.
//
// Let p be the largest power of two <= n. Ranks p..n-1 ("extras") first fold their data into
// ranks 0..n-p-1 (rank p+i sends to rank i, which combines). Then the p ranks run log2(p) rounds:
// in round k, rank r exchanges its whole partial result with rank r XOR 2^k and both combine —
// after the last round every one of the p ranks holds the full result. Finally rank i sends it
// back to extra rank p+i. Average divides by n at the end, on every rank.
#include "recursive_doubling_allreduce.h"

#include <cstring>

namespace ronde {

void recursive_doubling_allreduce(Transport& transport, const void* in, void* out, std::size_t count, DType dtype,
                                  ReduceOp op, std::vector<std::byte>& scratch) {
  const int n = transport.size();
  const int rank = transport.rank();
  const std::size_t bytes = count * dtype_size(dtype);
  if (in != out && bytes) std::memcpy(out, in, bytes);
  if (n == 1 || count == 0) return;
  if (scratch.size() < bytes) scratch.resize(bytes);

  int p = 1;
  while (p * 2 <= n) p *= 2;
  const bool extra = rank >= p;
  const bool has_extra = rank < n - p;

  if (extra) {
    transport.send(rank - p, out, bytes, Tag::Allreduce)->wait();
  } else {
    if (has_extra) {
      transport.recv(rank + p, scratch.data(), bytes, Tag::Allreduce)->wait();
      reduce_elements(op, dtype, out, scratch.data(), out, count);
    }
    for (int mask = 1; mask < p; mask <<= 1) {
      const int partner = rank ^ mask;
      auto receive = transport.recv(partner, scratch.data(), bytes, Tag::Allreduce);
      auto send = transport.send(partner, out, bytes, Tag::Allreduce);
      receive->wait();
      send->wait();  // `out` is about to change
      // Both partners combine (mine, theirs) in opposite roles; the ops are commutative, so the
      // two results are the same bits.
      reduce_elements(op, dtype, out, scratch.data(), out, count);
    }
  }

  if (extra) {
    transport.recv(rank - p, out, bytes, Tag::Allreduce)->wait();
  } else if (has_extra) {
    transport.send(rank + p, out, bytes, Tag::Allreduce)->wait();
  }
  if (op == ReduceOp::Average) divide_elements(dtype, out, count, n);
}

}  // namespace ronde
