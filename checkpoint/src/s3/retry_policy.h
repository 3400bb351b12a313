// When and how long the S3 backend waits before retrying a failed request: exponential backoff
// with full jitter (AWS's "exponential backoff and jitter"), bounded by an attempt count and by the
// time since the first attempt.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

namespace ronde::s3 {

struct RetryLimits {
  int max_attempts = 8;
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
  std::chrono::milliseconds total_time{120000};
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryLimits limits);

  // The wait before attempt `attempts_made + 1`, drawn uniformly from [0, min(max_delay,
  // base_delay * 2^(attempts_made - 1))]; nullopt when no further attempt is allowed: the attempts
  // are used up, or the wait would end after `total_time` since `first_attempt`. Thread-safe.
  std::optional<std::chrono::milliseconds> next_delay(int attempts_made,
                                                      std::chrono::steady_clock::time_point first_attempt);

  const RetryLimits& limits() const { return limits_; }

  // Whether an HTTP status or an S3 error code says "try again later".
  static bool is_retryable_status(long status);
  static bool is_retryable_code(std::string_view s3_code);

 private:
  RetryLimits limits_;
  std::mutex mutex_;
  std::mt19937_64 random_;
};

}  // namespace ronde::s3
