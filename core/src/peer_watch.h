// PeerWatch: finds ranks that are gone — a process that died, a host that went down, a link that
// failed — so that a rank waiting for them gets an Error naming them instead of waiting forever.
//
// A rank that is merely slow (a straggler computing, loading data, writing a checkpoint) must not
// look lost, so the watch does not judge by the collectives' traffic. Instead a thread of its own
// sends a heartbeat to this rank's two ring neighbours (rank - 1 and rank + 1) every `interval` on
// a private communicator, and listens for theirs. A neighbour silent for `timeout` is lost: the
// watch records it and tells every rank (a one-time notice), so that every rank, not only the
// neighbours, knows within about `timeout` plus one message time. A rank whose context ends says
// goodbye to its neighbours first, so a rank that finished is never taken for a lost one.
//
// Transfers consult the watch while they wait (MpiTransport): once any rank is lost, a collective
// cannot complete, and every wait fails with Error(Unavailable) naming the lost ranks and hosts.
//
// Costs: two 8-byte messages per interval per rank, on connections the ring uses anyway; one
// thread per process, mostly asleep. Needs MPI_THREAD_MULTIPLE (ronde::init asks for it); when
// MPI was initialised with less, the watch is not started (init logs it).
#pragma once

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ronde/core/logging.h"
#include "ronde/core/topology.h"

namespace ronde {

class PeerWatch {
 public:
  struct Options {
    std::chrono::milliseconds timeout{30'000};   // silence after which a neighbour is lost
    std::chrono::milliseconds interval{1'000};   // between heartbeats
  };
  // The interval for a timeout: a tenth of it, between 100 ms and 2 s.
  static std::chrono::milliseconds interval_for(std::chrono::milliseconds timeout);

  // Duplicates `comm` (collective over it) and starts the thread. `topology` names ranks' hosts;
  // `log` gets an ERROR line the moment a rank is known lost (before any wait fails, and even if
  // the launcher ends this process a moment later).
  PeerWatch(MPI_Comm comm, Topology topology, Options options, Logger log);
  // Says goodbye to the neighbours, stops the thread, frees the communicator.
  ~PeerWatch();
  PeerWatch(const PeerWatch&) = delete;
  PeerWatch& operator=(const PeerWatch&) = delete;

  // Cheap (one atomic load): true once some rank is known lost.
  bool any_lost() const { return any_lost_.load(std::memory_order_acquire); }
  // True once neighbour `rank` said goodbye (its context ended): it will never send or receive
  // again, so a transfer with it cannot finish. Always false for ranks that are not neighbours.
  bool finished(int rank) const {
    return rank >= 0 && rank < size_ && finished_[static_cast<std::size_t>(rank)].load(std::memory_order_acquire);
  }
  // "rank 2 (h2) is lost: no heartbeat for 30.0 s ..." — what a wait's Error says; "" if none.
  std::string lost_message() const;

 private:
  enum Kind : std::int64_t { Heartbeat = 1, Goodbye = 2, Lost = 3 };
  struct Neighbour {
    int rank = -1;
    std::chrono::steady_clock::time_point last_heard;
  };

  void run();
  void send_heartbeats();
  void receive_messages(std::chrono::steady_clock::time_point now);
  void check_silence(std::chrono::steady_clock::time_point now);
  void declare_lost(int rank, int detected_by, std::chrono::milliseconds silence);
  void post_receive();
  void reap_sends(bool all);

  MPI_Comm comm_ = MPI_COMM_NULL;
  Topology topology_;
  Options options_;
  Logger log_;
  int rank_ = 0;
  int size_ = 1;
  std::vector<Neighbour> neighbours_;
  std::vector<std::atomic<bool>> finished_;  // by rank: said goodbye (set by the thread only)

  // One receive from any rank is always posted: [kind, subject rank, detected-by rank, silence ms].
  std::int64_t inbox_[4] = {};
  MPI_Request receive_ = MPI_REQUEST_NULL;
  struct Outgoing {
    std::int64_t message[4];
    MPI_Request request = MPI_REQUEST_NULL;
  };
  std::vector<std::unique_ptr<Outgoing>> sends_;  // in flight; a lost peer's may never finish

  std::atomic<bool> any_lost_{false};
  mutable std::mutex mutex_;          // guards lost_ and stop_
  std::condition_variable wake_;
  std::vector<std::string> lost_;     // one line per lost rank, in the order found
  std::vector<int> lost_ranks_;
  bool stop_ = false;
  std::thread thread_;                // last: started once everything above exists
};

}  // namespace ronde
