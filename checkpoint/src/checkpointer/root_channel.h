// RootChannel: the checkpointer's messages between rank 0 and the other ranks, on Tag::Checkpoint.
//
// Messages are byte strings of any length: each is sent as an 8-byte length, then the bytes (the
// transport needs the receiver to know the size). Contract: every rank makes the same sequence of
// gather/broadcast calls; only one thread per rank uses the channel at a time (the checkpointer's
// calls are serialised: a restore or a new save first waits for the background save).
// With one rank (transport == nullptr) no message is sent.
#pragma once

#include <string>
#include <vector>

#include "ronde/core/transport.h"

namespace ronde::checkpoint::detail {

class RootChannel {
 public:
  // `transport` nullptr means a single-rank job.
  explicit RootChannel(Transport* transport) : transport_(transport) {}

  int rank() const { return transport_ ? transport_->rank() : 0; }
  int size() const { return transport_ ? transport_->size() : 1; }

  // Every rank's `message` arrives at rank 0 (index = rank); other ranks get an empty vector.
  std::vector<std::string> gather(std::string message);
  // Rank 0's `message` arrives on every rank (other ranks' argument is ignored).
  std::string broadcast(std::string message);

 private:
  void send(int peer, const std::string& message);
  std::string recv(int peer);
  Transport* transport_;
};

}  // namespace ronde::checkpoint::detail
