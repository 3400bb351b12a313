// Waiting inside a handler for other workers (sync steps, bounded staleness, initial values).
//
// A wait ends when its condition holds, or with a Rejection: UNAVAILABLE when the server shuts
// down (the client retries against the restarted server), CANCELLED when the client cancelled the
// call, DEADLINE_EXCEEDED at the call's deadline. The condition variable is notified whenever the
// unit's state changes and on shutdown; waits also wake every kPollInterval to notice
// cancellation, which gRPC does not signal to a blocked thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include <grpcpp/grpcpp.h>

#include "server/rejection.h"

namespace ronde::ps::server {

inline constexpr std::chrono::milliseconds kPollInterval{100};

class CallWait {
 public:
  CallWait(const grpc::ServerContext& context, const std::atomic<bool>& stopping)
      : context_(context), stopping_(stopping) {}

  // Waits with `lock` (held on entry and on return) until `ready()`. `what` describes the wait for
  // the error message ("every worker's push of step 3 of tensor 'w' partition 0"); it is called
  // with the lock held, only on failure.
  template <class Ready>
  void until(std::unique_lock<std::mutex>& lock, std::condition_variable& changed, Ready&& ready,
             const std::function<std::string()>& what) const {
    while (!ready()) {
      if (stopping_.load()) reject(grpc::StatusCode::UNAVAILABLE, "the server is shutting down; was waiting for " + what());
      if (context_.IsCancelled()) reject(grpc::StatusCode::CANCELLED, "the call was cancelled while waiting for " + what());
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
};

}  // namespace ronde::ps::server
