// The retry policy of one call: UNAVAILABLE (a server down, restarting, or a connection cut) is
// retried with exponential backoff and jitter until the retry budget, counted from the call's first
// failure, is spent.
#pragma once

#include <chrono>
#include <random>

#include <grpcpp/grpcpp.h>

namespace ronde::ps::client {

// True for failures worth another attempt: UNAVAILABLE other than a refused TLS handshake (which
// another attempt would not change; see is_handshake_failure).
bool is_retryable(const grpc::Status& status);
// gRPC reports a refused TLS handshake (a certificate the peer does not trust, a missing client
// certificate) as UNAVAILABLE; its message names the handshake.
bool is_handshake_failure(const grpc::Status& status);

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::chrono::milliseconds budget);
  // Sleeps before the next attempt and returns true, or returns false (without sleeping) when the
  // budget is spent. Delays double from `initial` up to `max`; each is drawn uniformly from
  // [delay / 2, delay] so that workers that failed together do not retry together, and none
  // sleeps past the budget.
  bool wait();
  // Attempts that failed so far (calls to wait()).
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds delay_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds budget_;
  std::chrono::steady_clock::time_point first_failure_{};
  int failures_ = 0;
  std::minstd_rand random_;
};

}  // namespace ronde::ps::client
