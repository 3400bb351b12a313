#include "fake_imds.h"

namespace ronde::checkpoint::testing {

using ronde::testing::FakeRequest;
using ronde::testing::FakeResponse;

FakeImds::FakeImds()
    : server_(std::make_unique<ronde::testing::FakeHttpServer>(
          [this](const FakeRequest& request) { return answer(request); })) {}

void FakeImds::set_notice(std::string json) {
  std::lock_guard lock(mutex_);
  notice_ = std::move(json);
}

void FakeImds::rotate_token() {
  std::lock_guard lock(mutex_);
  ++token_generation_;
}

FakeResponse FakeImds::answer(const FakeRequest& request) {
  std::lock_guard lock(mutex_);
  const std::string token = "token-" + std::to_string(token_generation_);
  if (request.method == "PUT" && request.path == "/latest/api/token") {
    ++token_requests_;
    if (!request.has_header("x-aws-ec2-metadata-token-ttl-seconds")) return {400, "missing TTL"};
    return {200, token};
  }
  if (request.method == "GET" && request.path == "/latest/meta-data/spot/instance-action") {
    ++notice_requests_;
    if (request.header("x-aws-ec2-metadata-token") != token) {
      ++unauthorized_;
      return {401, ""};
    }
    if (!notice_) return {404, ""};
    return {200, *notice_};
  }
  return {404, ""};
}

}  // namespace ronde::checkpoint::testing
