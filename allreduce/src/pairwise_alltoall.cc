#include "pairwise_alltoall.h"

#include <cstring>
#include <memory>

namespace ronde {

void pairwise_alltoall(Transport& transport, const void* send, const std::vector<std::size_t>& send_offsets,
                       const std::vector<std::size_t>& send_bytes, void* recv,
                       const std::vector<std::size_t>& recv_offsets, const std::vector<std::size_t>& recv_bytes) {
  const int n = transport.size();
  const int rank = transport.rank();
  const auto* source = static_cast<const std::byte*>(send);
  auto* target = static_cast<std::byte*>(recv);
  const auto self = static_cast<std::size_t>(rank);
  std::vector<std::unique_ptr<Transfer>> transfers;
  for (int step = 1; step < n; ++step) {
    const auto from = static_cast<std::size_t>((rank - step + n) % n);
    if (recv_bytes[from]) {
      transfers.push_back(transport.recv(static_cast<int>(from), target + recv_offsets[from], recv_bytes[from], Tag::Alltoall));
    }
  }
  for (int step = 1; step < n; ++step) {
    const auto to = static_cast<std::size_t>((rank + step) % n);
    if (send_bytes[to]) {
      transfers.push_back(transport.send(static_cast<int>(to), source + send_offsets[to], send_bytes[to], Tag::Alltoall));
    }
  }
  // The local part is copied while the peers' transfers are in flight (on one host, a peer often
  // does the copying of what this rank sends, so both cores work at once).
  if (send_bytes[self]) std::memcpy(target + recv_offsets[self], source + send_offsets[self], send_bytes[self]);
  for (auto& transfer : transfers) transfer->wait();
}

}  // namespace ronde
