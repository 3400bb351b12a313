// InterruptionOptions::from_env: RONDE_SPOT_NOTICE_ENDPOINT, RONDE_SPOT_POLL_SECONDS,
// RONDE_TERMINATION_GRACE_S (docs/KNOBS.md).
#include <algorithm>
#include <cmath>

#include "ronde/checkpoint/interruption.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint {

namespace {

// A non-negative number of seconds as milliseconds; names the variable otherwise.
std::chrono::milliseconds seconds_knob(const Environment& env, std::string_view name, std::chrono::milliseconds fallback) {
  const auto text = env.get(name);
  if (!text) return fallback;
  const double seconds = parse_double(*text, name);
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e9) {
    throw Error(ErrorCode::InvalidArgument,
                std::string(name) + "='" + *text + "' must be a number of seconds between 0 and 1e9");
  }
  const auto millis = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
  return seconds > 0 ? std::max(millis, std::chrono::milliseconds(1)) : millis;
}

}  // namespace

InterruptionOptions InterruptionOptions::from_env(const Environment& env) {
  InterruptionOptions options;
  options.termination_grace = seconds_knob(env, "RONDE_TERMINATION_GRACE_S", options.termination_grace);

  SpotNoticeOptions& spot = options.spot_notice;
  if (const auto endpoint = env.get("RONDE_SPOT_NOTICE_ENDPOINT")) {
    std::string url = *endpoint;
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      throw Error(ErrorCode::InvalidArgument,
                  "RONDE_SPOT_NOTICE_ENDPOINT='" + *endpoint + "' must be an http:// or https:// URL");
    }
    spot.endpoint = url;
    spot.enabled = true;
  }
  if (env.get("RONDE_SPOT_POLL_SECONDS")) {
    spot.interval = seconds_knob(env, "RONDE_SPOT_POLL_SECONDS", spot.interval);
    spot.enabled = spot.interval.count() > 0;  // 0 turns the poller off
  }
  return options;
}

}  // namespace ronde::checkpoint
