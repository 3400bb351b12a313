// The transport side of the negotiation, on the engine's own tags: the per-cycle bit-vector
// allreduce, and the round trip of byte messages to and from rank 0.
//
// Every rank calls these in the same order every cycle (the engine's thread is the only user of
// the transport while the Engine lives), so no message can be taken for another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"

namespace ronde::engine {

class ControlChannel {
 public:
  explicit ControlChannel(Context& context);

  // Element-wise minimum over all ranks (a bitwise AND of 0/1 bytes; NOT-OR when inverted).
  // Every rank passes the same length.
  std::vector<std::uint8_t> allreduce_min(std::vector<std::uint8_t> values);
  // Rank 0 gets every rank's message, indexed by rank (its own included); the others get nothing.
  std::vector<std::vector<std::byte>> gather(std::vector<std::byte> mine);
  // Rank 0's message, on every rank.
  std::vector<std::byte> broadcast(std::vector<std::byte> message);

 private:
  Context& context_;
  Collectives collectives_;  // its own: no argument check, the lengths agree by construction
};

}  // namespace ronde::engine
