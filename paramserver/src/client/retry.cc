#include "client/retry.h"

#include <algorithm>
#include <string>
#include <thread>

namespace ronde::ps::client {

bool is_handshake_failure(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  // What gRPC 1.51 says when the client refuses the server's certificate or the TLS handshake
  // fails ("Ssl handshake failed: SSL_ERROR_SSL: ...CERTIFICATE_VERIFY_FAILED", "Peer name ... is
  // not in peer certificate"). Not "tcp handshaker shutdown": that is a refused TCP connection.
  const std::string& message = status.error_message();
  for (const char* sign : {"Ssl handshake", "SSL handshake", "SSL_ERROR", "CERTIFICATE_VERIFY", "not in peer certificate"}) {
    if (message.find(sign) != std::string::npos) return true;
  }
  return false;
}

bool is_retryable(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE && !is_handshake_failure(status);
}

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::chrono::milliseconds budget)
    : delay_(initial), max_(max), budget_(budget), random_(std::random_device{}()) {}

bool Backoff::wait() {
  const auto now = std::chrono::steady_clock::now();
  if (failures_++ == 0) first_failure_ = now;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(first_failure_ + budget_ - now);
  if (left.count() <= 0) return false;
  std::uniform_int_distribution<std::int64_t> jitter(delay_.count() / 2, delay_.count());
  const auto sleep = std::min(std::chrono::milliseconds(jitter(random_)), left);
  delay_ = std::min(delay_ * 2, max_);
  std::this_thread::sleep_for(sleep);
  return true;
}

}  // namespace ronde::ps::client
