// The engine's background thread: one negotiation cycle every EngineOptions::cycle_time.
//
// A cycle, on every rank in lockstep:
//  1. Drain the submission queue. A new operation whose name is in the response cache with the
//     same parameters waits on its cache slot; one whose cached parameters changed invalidates
//     that slot; any other goes to rank 0.
//  2. Bit-vector allreduce (element-wise minimum of bytes): [need a round trip?, all joined?,
//     ready bit per cache slot, valid bit per cache slot]. A slot ready on every rank runs now
//     without asking rank 0 (a cache hit); a slot any rank invalidated is erased on every rank,
//     and operations waiting on it go to rank 0 instead. Invalidating forces a round trip.
//  3. Round trip, only when some rank needs one (new names, join, shutdown, a failure to report,
//     a stall timeout due on rank 0): every rank sends rank 0 its RequestList; rank 0's
//     Coordinator answers every rank with the same ResponseList. Run responses enter the cache.
//  4. Run the cache hits (in slot order) then the negotiated responses (in rank 0's order), fused
//     (Executor), and finish their handles.
// An operation that waits on the cache longer than half the stall period is sent to rank 0 (and
// its slot invalidated) so that the stall inspector, which lives on rank 0, sees it.
// A joined rank reports every cached host allreduce and broadcast (not rooted at itself) as ready,
// so that the others' cached operations run with its zeros; other cached kinds it invalidates.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/control_channel.h"
#include "engine/coordinator.h"
#include "engine/counters.h"
#include "engine/executor.h"
#include "engine/response_cache.h"
#include "engine/submission_queue.h"

namespace ronde::engine {

class BackgroundLoop {
 public:
  BackgroundLoop(Context& context, const EngineOptions& options, SubmissionQueue& queue, Counters& counters,
                 Timeline* timeline);
  // Runs cycles until a shutdown (or a failure) stops the engine on every rank; then every
  // operation left on this rank has failed. Never throws.
  void run();

 private:
  bool cycle();  // false once the engine has stopped
  void accept(OperationPtr operation);
  bool joinable(const Request& cached) const;
  void finish(OperationPtr operation, std::optional<Error> error, std::vector<std::int64_t> rows = {});
  void stop(const std::optional<Error>& error);
  void requeue_cached(std::size_t slot);  // a cache slot went away: its waiter goes to rank 0

  Context& context_;
  const EngineOptions& options_;
  SubmissionQueue& queue_;
  Counters& counters_;
  Timeline* timeline_;
  ControlChannel channel_;
  ResponseCache cache_;
  std::optional<Coordinator> coordinator_;  // rank 0 only
  Executor executor_;
  Clock::duration demote_after_{};

  std::vector<OperationPtr> uncached_;                         // to send to rank 0 next
  std::map<std::size_t, OperationPtr> cached_;                 // waiting on a cache slot
  std::unordered_map<std::string, OperationPtr> negotiating_;  // sent to rank 0, by name
  std::vector<std::size_t> invalidate_;                        // slots this rank invalidates
  std::shared_ptr<Handle::State> join_;
  bool send_join_ = false;
  bool joined_ = false;
  bool shutdown_requested_ = false;
};

}  // namespace ronde::engine
