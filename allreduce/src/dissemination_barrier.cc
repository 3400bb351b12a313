#include "dissemination_barrier.h"

#include <cstdint>

namespace ronde {

void dissemination_barrier(Transport& transport) {
  const int n = transport.size();
  const int rank = transport.rank();
  const std::uint8_t token_out = 1;
  std::uint8_t token_in = 0;
  // Distances 1, 2, 4, ... < n are distinct mod n, so one tag suffices: in each round the
  // message comes from a different peer, and per-peer order keeps consecutive barriers apart.
  for (int distance = 1; distance < n; distance *= 2) {
    auto receive = transport.recv((rank - distance + n) % n, &token_in, 1, Tag::Barrier);
    auto send = transport.send((rank + distance) % n, &token_out, 1, Tag::Barrier);
    send->wait();
    receive->wait();
  }
}

}  // namespace ronde
