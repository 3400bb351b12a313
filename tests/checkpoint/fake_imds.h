// A fake EC2 instance metadata service for the spot notice tests, on the shared test HTTP server
// (tests/support/fake_http_server.h). It speaks just enough IMDSv2:
//   PUT /latest/api/token                        200 with a token (needs the TTL header)
//   GET /latest/meta-data/spot/instance-action   401 without the current token; else 404 until
//                                                set_notice() is called, then 200 with its body
// Anything else is 404.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "support/fake_http_server.h"

namespace ronde::checkpoint::testing {

class FakeImds {
 public:
  FakeImds();  // listening on an ephemeral port when it returns; stops when destroyed
  FakeImds(const FakeImds&) = delete;
  FakeImds& operator=(const FakeImds&) = delete;

  std::string endpoint() const { return server_->url(); }
  // From now on the notice path answers 200 with `json`.
  void set_notice(std::string json);
  // Issues a new token: requests carrying the old one get 401 (a restarted service).
  void rotate_token();

  int token_requests() const { return token_requests_.load(); }
  int notice_requests() const { return notice_requests_.load(); }
  int unauthorized() const { return unauthorized_.load(); }

 private:
  ronde::testing::FakeResponse answer(const ronde::testing::FakeRequest& request);

  std::atomic<int> token_requests_{0};
  std::atomic<int> notice_requests_{0};
  std::atomic<int> unauthorized_{0};
  std::mutex mutex_;
  std::optional<std::string> notice_;
  int token_generation_ = 1;
  std::unique_ptr<ronde::testing::FakeHttpServer> server_;  // last: stops before the state goes
};

}  // namespace ronde::checkpoint::testing
