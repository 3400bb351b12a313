// The stall inspector: on rank 0, finds the tensors that some ranks submitted and others have not
// for too long. After EngineOptions::stall_check it logs a warning naming each such tensor and the
// missing ranks (again every stall_check while the stall lasts); after stall_shutdown (when not 0)
// it tells the coordinator to fail the tensor everywhere with Error(Timeout).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ronde/core/logging.h"
#include "ronde/core/topology.h"

namespace ronde::engine {

using Clock = std::chrono::steady_clock;

// One name that rank 0 is waiting on.
struct WaitingTensor {
  std::string name;
  Clock::time_point since;        // when the first rank became ready with it
  std::vector<int> ready_ranks;   // ranks that submitted it
  std::vector<int> missing_ranks; // ranks that have not (joined ranks excluded)
};

class StallInspector {
 public:
  // `topology` names the ranks' hosts in the messages.
  StallInspector(std::chrono::seconds check, std::chrono::seconds shutdown, Topology topology)
      : check_(check), shutdown_(shutdown), topology_(std::move(topology)) {}

  // Logs a warning listing the stalled tensors when a stall_check period has passed since the last
  // warning. Cheap when nothing is stalled.
  void warn(const std::vector<WaitingTensor>& waiting, Clock::time_point now, const Logger& log);
  // True when `tensor` has waited past stall_shutdown.
  bool expired(const WaitingTensor& tensor, Clock::time_point now) const;
  // The Error(Timeout) message for an expired tensor.
  std::string timeout_message(const WaitingTensor& tensor, Clock::time_point now) const;

 private:
  std::chrono::seconds check_;
  std::chrono::seconds shutdown_;
  Topology topology_;
  Clock::time_point last_warning_{};
};

}  // namespace ronde::engine
