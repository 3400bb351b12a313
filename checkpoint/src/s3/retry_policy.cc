#include "s3/retry_policy.h"

#include <algorithm>

namespace ronde::s3 {

RetryPolicy::RetryPolicy(RetryLimits limits) : limits_(limits), random_(std::random_device{}()) {}

std::optional<std::chrono::milliseconds> RetryPolicy::next_delay(int attempts_made,
                                                                 std::chrono::steady_clock::time_point first_attempt) {
  if (attempts_made >= limits_.max_attempts) return std::nullopt;
  const int doublings = std::clamp(attempts_made - 1, 0, 30);
  const auto ceiling = std::min<std::int64_t>(limits_.max_delay.count(),
                                              limits_.base_delay.count() * (std::int64_t{1} << doublings));
  std::chrono::milliseconds delay{0};
  if (ceiling > 0) {
    std::lock_guard lock(mutex_);
    delay = std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, ceiling)(random_));
  }
  const auto elapsed = std::chrono::steady_clock::now() - first_attempt;
  if (elapsed + delay >= limits_.total_time) return std::nullopt;
  return delay;
}

bool RetryPolicy::is_retryable_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool RetryPolicy::is_retryable_code(std::string_view s3_code) {
  return s3_code == "SlowDown" || s3_code == "RequestTimeout" || s3_code == "InternalError" ||
         s3_code == "ServiceUnavailable" || s3_code == "Throttling" || s3_code == "RequestTimeTooSkewed" ||
         s3_code == "ConditionalRequestConflict";
}

}  // namespace ronde::s3
