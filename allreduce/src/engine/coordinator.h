// Rank 0's side of the negotiation: which ranks are ready with which names, and what to answer.
//
// For every name it has heard of, the coordinator keeps each rank's Request. A name is ready
// when every rank that has not joined has submitted it; it then leaves the table as one Response,
// after these checks:
//  - all submitted requests agree (agreed_fields) — else a Fail(Mismatch) naming the tensor and,
//    for each differing field, every rank's value: "tensor 'w': dtype differs: rank 0 f32, rank 1 f64";
//  - while some ranks have joined, only host allreduces and broadcasts whose root has not joined
//    can run — else a Fail(InvalidArgument) naming the joined ranks.
// Ready names are answered in the order they were first submitted. After them come stall
// timeouts (StallInspector), the end of a join (every rank joined), an abort (a rank reported a
// failure) and shutdown (any rank asked: the engine stops on every rank in the same cycle).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/messages.h"
#include "engine/stall_inspector.h"
#include "ronde/core/logging.h"
#include "ronde/core/topology.h"

namespace ronde {
class Timeline;
}

namespace ronde::engine {

class Coordinator {
 public:
  // `topology` gives the size and names the ranks' hosts in error messages.
  Coordinator(const Topology& topology, StallInspector inspector, Timeline* timeline)
      : topology_(topology), size_(topology.size), inspector_(std::move(inspector)), timeline_(timeline) {}

  // Records what `rank` sent this cycle.
  void receive(int rank, const RequestList& list, Clock::time_point now);
  // The responses for this cycle, to broadcast to every rank; clears what they settle.
  ResponseList respond(Clock::time_point now);
  // True when a stall timeout is due, so rank 0 must start a round trip to announce it.
  bool timeouts_due(Clock::time_point now) const;
  // Logs the stall warning when one is due.
  void inspect(Clock::time_point now, const Logger& log);

 private:
  struct Pending {
    std::uint64_t order = 0;  // first arrival, for the response order
    Clock::time_point since;
    std::vector<std::optional<Request>> by_rank;
  };

  std::vector<WaitingTensor> waiting() const;
  WaitingTensor waiting_for(const std::string& name, const Pending& pending) const;
  bool ready(const Pending& pending) const;
  Response settle(const std::string& name, const Pending& pending) const;

  Topology topology_;
  int size_;
  StallInspector inspector_;
  Timeline* timeline_;
  std::map<std::string, Pending> table_;
  std::uint64_t arrivals_ = 0;
  std::set<int> joined_;
  int last_joined_ = -1;
  bool shutdown_ = false;
  std::vector<std::string> failures_;
};

}  // namespace ronde::engine
