// The transport interface that ronde's collective algorithms are written against.
//
// A transport moves byte ranges between the ranks of one group, asynchronously. Its contract:
//  - send/recv return at once with a Transfer; the buffer must stay valid and (for send)
//    unmodified until the Transfer completes.
//  - Messages from one rank to another with the same tag are received in the order they were
//    sent. A recv must name exactly the byte count that was sent; a different count is an
//    Error(Mismatch) naming both ranks and both sizes, and the message is consumed. recv_up_to
//    takes any message of at most its capacity and reports its size; a larger one is an
//    Error(Mismatch) (consumed).
//  - Progress is guaranteed while any Transfer of this transport is being waited on, so a ring in
//    which every rank posts its receives before waiting cannot deadlock.
//  - Destroying an unfinished Transfer abandons it (used on error paths only): a receive is
//    cancelled, a send is left to finish on its own, so its buffer must outlive the transport.
// Algorithms never see MPI, NCCL or sockets: the MPI point-to-point transport is one
// implementation, and tests run ranks as threads over an in-process one.
#pragma once

#include <cstddef>
#include <memory>

namespace ronde {

class Transfer {
 public:
  virtual ~Transfer() = default;
  // Blocks until the transfer is complete; throws Error on failure.
  virtual void wait() = 0;
  // True once complete (then wait() returns at once); throws Error on failure.
  virtual bool test() = 0;
};

// Tags separate independent message streams between the same two ranks.
enum class Tag : int {
  Allreduce = 1,
  Broadcast = 2,
  Barrier = 3,
  Allgather = 4,
  Alltoall = 5,
  EngineRequest = 6,   // the engine's negotiation: ranks to rank 0
  EngineResponse = 7,  // the engine's negotiation: rank 0 to ranks
  Checkpoint = 8,      // the checkpointer's shard reports and commit decisions
  User = 1000,  // first tag free for callers' own algorithms
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::unique_ptr<Transfer> send(int peer, const void* data, std::size_t bytes, Tag tag) = 0;
  virtual std::unique_ptr<Transfer> recv(int peer, void* data, std::size_t bytes, Tag tag) = 0;
  // Receives the next message from `peer` on `tag`, of at most `capacity` bytes (at most 1 GiB),
  // into `data`; `received` holds its size once the transfer completes and must outlive it.
  virtual std::unique_ptr<Transfer> recv_up_to(int peer, void* data, std::size_t capacity, Tag tag,
                                                std::size_t& received) = 0;
  // The largest message this transport sends to a rank on another host without a handshake
  // first (Open MPI: the TCP transport's eager limit, its header included); 0 when it does not
  // say. Rings that cross hosts cut their segments below it (CollectiveOptions::network_segment_bytes).
  virtual std::size_t eager_limit_between_hosts() const { return 0; }
};

}  // namespace ronde
