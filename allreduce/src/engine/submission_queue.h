// Where callers' threads hand work to the engine's thread: new operations, join and shutdown
// requests. Thread-safe; the engine's thread drains it once per cycle. It also owns the set of
// names in flight on this rank, so that enqueueing a pending name fails at once with
// Error(InvalidArgument), and the stopped state after which enqueueing fails with
// Error(Cancelled).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/operation.h"

namespace ronde::engine {

class SubmissionQueue {
 public:
  struct Drained {
    std::vector<OperationPtr> operations;
    bool shutdown = false;                     // shutdown() was called
    std::shared_ptr<Handle::State> join;       // join() was called (its handle), once
  };

  // Queues `operation`; throws Error(InvalidArgument) when its name is already in flight here, or
  // Error(Cancelled) once the engine has stopped.
  void push(OperationPtr operation);
  // A handle for join(); its received_rows()[0] will be the last rank to join. Throws like push.
  std::shared_ptr<Handle::State> join();
  void request_shutdown();

  Drained drain();
  // `name` left the engine (completed or failed): it may be enqueued again.
  void release(const std::string& name);
  // The pending join completed: join() may be called again.
  void release_join();
  // Refuses work from now on (`reason` becomes the Cancelled message) and returns what was not
  // drained yet.
  Drained stop(const std::string& reason);
  bool stopped() const;

 private:
  void check_open() const;  // under mutex_

  mutable std::mutex mutex_;
  std::vector<OperationPtr> operations_;
  std::set<std::string, std::less<>> in_flight_;
  std::shared_ptr<Handle::State> join_;
  bool join_taken_ = false;  // the loop holds the pending join
  bool shutdown_ = false;
  bool stopped_ = false;
  std::string stop_reason_;
};

}  // namespace ronde::engine
