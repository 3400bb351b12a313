// The EC2 spot notice poller (see interruption.h for the behaviour): a thread asking the instance
// metadata service for latest/meta-data/spot/instance-action every interval, IMDSv2-style.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ronde/checkpoint/interruption.h"
#include "ronde/core/logging.h"

namespace ronde::checkpoint::detail {

// One conversation with the metadata service: the session token is kept between polls and
// fetched again when it is about to expire or is refused (401).
class SpotNoticeClient {
 public:
  explicit SpotNoticeClient(SpotNoticeOptions options) : options_(std::move(options)) {}
  // The notice's reason ("EC2 spot notice: terminate at 2024-11-24T22:22:00Z") when there is one,
  // nullopt when there is none (404). Error(Unavailable) when the service cannot be reached or
  // answers something else, naming the URL and the status.
  std::optional<std::string> poll();

 private:
  std::string token(bool refresh);
  SpotNoticeOptions options_;
  std::string token_;
  std::chrono::steady_clock::time_point token_expires_{};
};

// Polls until stopped or until a notice appears, which it hands to `on_notice` (once) before it
// stops polling. Failures are logged: the first at warn, later ones at debug.
class SpotNoticePoller {
 public:
  SpotNoticePoller(SpotNoticeOptions options, Logger logger, std::function<void(std::string reason)> on_notice);
  // Stops the thread; waits at most for the request in flight (bounded by request_timeout).
  ~SpotNoticePoller();
  SpotNoticePoller(const SpotNoticePoller&) = delete;
  SpotNoticePoller& operator=(const SpotNoticePoller&) = delete;

 private:
  void run();

  SpotNoticeClient client_;
  const std::chrono::milliseconds interval_;
  const std::string url_;
  const Logger logger_;
  const std::function<void(std::string)> on_notice_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after every other member is ready
};

}  // namespace ronde::checkpoint::detail
