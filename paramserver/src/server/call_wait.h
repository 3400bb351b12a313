// Waiting inside a handler for other workers (sync steps, bounded staleness, initial values).
//
// A wait ends when its condition holds, or with a Rejection: UNAVAILABLE when the server shuts
// down (the client retries against the restarted server), CANCELLED when the client cancelled the
// call, DEADLINE_EXCEEDED at the call's deadline or, for a wait on other workers, once it has
// lasted the server's --worker-timeout (those workers are lost or stalled: the message says which,
// and nothing changes, so the step completes if they come back). The condition variable is notified whenever the
// unit's state changes and on shutdown; waits also wake every kPollInterval to notice
// cancellation, which gRPC does not signal to a blocked thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "server/rejection.h"

namespace ronde::ps::server {

inline constexpr std::chrono::milliseconds kPollInterval{100};

class CallWait {
 public:
  // `worker_timeout` (0: none) bounds the waits on other workers.
  CallWait(const grpc::ServerContext& context, const std::atomic<bool>& stopping,
           std::chrono::milliseconds worker_timeout = std::chrono::milliseconds(0))
      : context_(context), stopping_(stopping), worker_timeout_(worker_timeout) {}

  // Waits with `lock` (held on entry and on return) until `ready()`. `what` describes the wait for
  // the error message ("every worker's push of step 3 of tensor 'w' partition 0"); it is called
  // with the lock held, only on failure. `on_steps` (lock held) says whether the wait is, at the
  // moment, on other workers' steps: only that part counts against the worker timeout (worker 0
  // declaring late, after loading its data for minutes, is no sign of a lost host).
  template <class Ready>
  void until(std::unique_lock<std::mutex>& lock, std::condition_variable& changed, Ready&& ready,
             const std::function<std::string()>& what, const std::function<bool()>& on_steps = [] { return true; }) const {
    std::optional<std::chrono::steady_clock::time_point> started;
    while (!ready()) {
      if (stopping_.load()) reject(grpc::StatusCode::UNAVAILABLE, "the server is shutting down; was waiting for " + what());
      if (context_.IsCancelled()) reject(grpc::StatusCode::CANCELLED, "the call was cancelled while waiting for " + what());
      if (!started && on_steps()) started = std::chrono::steady_clock::now();
      if (worker_timeout_.count() > 0 && started && std::chrono::steady_clock::now() - *started >= worker_timeout_) {
        char waited[32];
        std::snprintf(waited, sizeof waited, "%.1f", static_cast<double>(worker_timeout_.count()) / 1000.0);
        reject(grpc::StatusCode::DEADLINE_EXCEEDED, std::string("waited ") + waited + " s (--worker-timeout) for " +
                                                        what() + ": lost or stalled (a host down or cut off?); "
                                                        "the step completes if they push");
      }
      const auto now = std::chrono::system_clock::now();
      const auto deadline = context_.deadline();
      if (deadline <= now) reject(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline exceeded while waiting for " + what());
      const auto left = deadline - now;
      changed.wait_for(lock, left < kPollInterval ? std::chrono::duration_cast<std::chrono::milliseconds>(left) + std::chrono::milliseconds(1)
                                                  : kPollInterval);
    }
  }

 private:
  const grpc::ServerContext& context_;
  const std::atomic<bool>& stopping_;
  std::chrono::milliseconds worker_timeout_;
};

}  // namespace ronde::ps::server
