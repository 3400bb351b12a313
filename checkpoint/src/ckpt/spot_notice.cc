#include "ckpt/spot_notice.h"

#include <nlohmann/json.hpp>

#include "aws/metadata_http.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {

namespace {

constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kNoticePath = "/latest/meta-data/spot/instance-action";
constexpr std::chrono::seconds kTokenTtl{21600};    // the longest IMDS grants (6 hours)
constexpr std::chrono::seconds kTokenMargin{60};   // fetch a new one this long before expiry

// "EC2 spot notice: terminate at 2024-11-24T22:22:00Z" from the notice's JSON body; a body that
// cannot be read still means a notice (the path exists only when one is pending).
std::string describe_notice(const std::string& body) {
  const nlohmann::json notice = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (notice.is_object() && notice.contains("action") && notice["action"].is_string()) {
    std::string reason = "EC2 spot notice: " + notice["action"].get<std::string>();
    if (notice.contains("time") && notice["time"].is_string()) reason += " at " + notice["time"].get<std::string>();
    return reason;
  }
  return "EC2 spot notice (unreadable body: " + body.substr(0, 200) + ")";
}

}  // namespace

std::string SpotNoticeClient::token(bool refresh) {
  if (!refresh && !token_.empty() && std::chrono::steady_clock::now() < token_expires_) return token_;
  const std::string url = options_.endpoint + std::string(kTokenPath);
  const aws::HttpTimeouts timeouts{options_.request_timeout, options_.request_timeout};
  const auto response = aws::metadata_request(
      "PUT", url, {"X-aws-ec2-metadata-token-ttl-seconds: " + std::to_string(kTokenTtl.count())}, timeouts);
  if (response.status != 200 || response.body.empty()) {
    throw Error(ErrorCode::Unavailable, "PUT " + url + " answered HTTP " + std::to_string(response.status) +
                                            (response.body.empty() ? " with an empty token" : ""));
  }
  token_ = response.body;
  token_expires_ = std::chrono::steady_clock::now() + kTokenTtl - kTokenMargin;
  return token_;
}

std::optional<std::string> SpotNoticeClient::poll() {
  const std::string url = options_.endpoint + std::string(kNoticePath);
  const aws::HttpTimeouts timeouts{options_.request_timeout, options_.request_timeout};
  for (bool refresh : {false, true}) {
    const auto response = aws::metadata_request("GET", url, {"X-aws-ec2-metadata-token: " + token(refresh)}, timeouts);
    if (response.status == 404) return std::nullopt;
    if (response.status == 200) return describe_notice(response.body);
    if (response.status != 401) {
      throw Error(ErrorCode::Unavailable, "GET " + url + " answered HTTP " + std::to_string(response.status));
    }
    // 401: the token expired or the service restarted; try once more with a new one.
  }
  throw Error(ErrorCode::Unavailable, "GET " + url + " refused a fresh IMDSv2 token (HTTP 401)");
}

SpotNoticePoller::SpotNoticePoller(SpotNoticeOptions options, Logger logger,
                                   std::function<void(std::string reason)> on_notice)
    : client_(options),
      interval_(options.interval),
      url_(options.endpoint + std::string(kNoticePath)),
      logger_(std::move(logger)),
      on_notice_(std::move(on_notice)),
      thread_([this] { run(); }) {}

SpotNoticePoller::~SpotNoticePoller() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SpotNoticePoller::run() {
  logger_.debug("polling ", url_, " for a spot notice every ", interval_.count(), " ms");
  bool warned = false;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    std::optional<std::string> notice;
    try {
      notice = client_.poll();
    } catch (const std::exception& e) {
      if (!warned) {
        logger_.warn("spot notice poll failed (will keep polling quietly): ", e.what());
        warned = true;
      } else {
        logger_.debug("spot notice poll failed: ", e.what());
      }
    }
    if (notice) {
      on_notice_(*notice);
      return;
    }
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace ronde::checkpoint::detail
