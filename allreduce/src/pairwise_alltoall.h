// Alltoall over the Transport interface.
#pragma once

#include <cstddef>
#include <vector>

#include "ronde/core/transport.h"

namespace ronde {

// Rank r sends send_bytes[p] bytes starting at send_offsets[p] of `send` to every rank p, and
// receives recv_bytes[p] bytes from rank p into `recv` at recv_offsets[p]. All exchanges are
// posted at once, receives first, in the order r+1, r+2, ... (mod n) so that the ranks' traffic
// spreads over all pairs instead of converging on one rank; its own part is a local copy made
// while the exchanges are in flight.
void pairwise_alltoall(Transport& transport, const void* send, const std::vector<std::size_t>& send_offsets,
                       const std::vector<std::size_t>& send_bytes, void* recv,
                       const std::vector<std::size_t>& recv_offsets, const std::vector<std::size_t>& recv_bytes);

}  // namespace ronde
