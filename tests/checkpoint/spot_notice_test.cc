// The EC2 spot notice poller against a fake instance metadata service on 127.0.0.1: 404 then 200
// raises the flag within the poll interval, tokens are cached and renewed on 401, and an
// unreachable or silent endpoint is logged once and never hangs the program.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "fake_imds.h"
#include "ronde/checkpoint/interruption.h"

namespace ronde::checkpoint {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

InterruptionOptions polling(const std::string& endpoint, std::chrono::milliseconds interval) {
  InterruptionOptions options;
  options.handle_signals = false;
  options.spot_notice.enabled = true;
  options.spot_notice.endpoint = endpoint;
  options.spot_notice.interval = interval;
  options.spot_notice.request_timeout = 500ms;
  return options;
}

// Waits until `condition` holds or `limit` passes; returns whether it held.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 3000ms) {
  const auto end = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SpotNotice, NoNoticeThenNoticeRaisesTheFlagWithinTheInterval) {
  testing::FakeImds imds;
  constexpr auto kInterval = 100ms;
  InterruptionWatcher watcher(polling(imds.endpoint(), kInterval));
  ASSERT_TRUE(eventually([&] { return imds.notice_requests() >= 2; }));  // a few 404s
  EXPECT_FALSE(watcher.interrupted());

  imds.set_notice(R"({"action": "terminate", "time": "2024-11-24T22:22:00Z"})");
  const auto posted = Clock::now();
  ASSERT_TRUE(eventually([&] { return watcher.interrupted(); }));
  EXPECT_LE(Clock::now() - posted, kInterval + 900ms);  // the next poll, plus slack for a loaded machine
  EXPECT_EQ(watcher.source(), InterruptionSource::SpotNotice);
  EXPECT_EQ(watcher.reason(), "EC2 spot notice: terminate at 2024-11-24T22:22:00Z");
  EXPECT_EQ(watcher.signal_number(), 0);
  EXPECT_TRUE(watcher.deadline().has_value());
  EXPECT_EQ(imds.token_requests(), 1);  // one IMDSv2 token, kept between polls
  EXPECT_EQ(imds.unauthorized(), 0);

  // After the notice the poller stops asking.
  const int requests = imds.notice_requests();
  std::this_thread::sleep_for(3 * kInterval);
  EXPECT_EQ(imds.notice_requests(), requests);
}

TEST(SpotNotice, RenewsTheTokenWhenItIsRefused) {
  testing::FakeImds imds;
  InterruptionWatcher watcher(polling(imds.endpoint(), 20ms));
  ASSERT_TRUE(eventually([&] { return imds.notice_requests() >= 2; }));
  imds.rotate_token();
  ASSERT_TRUE(eventually([&] { return imds.unauthorized() >= 1 && imds.token_requests() >= 2; }));
  imds.set_notice(R"({"action": "stop", "time": "2024-11-24T22:23:00Z"})");
  ASSERT_TRUE(eventually([&] { return watcher.interrupted(); }));
  EXPECT_EQ(watcher.reason(), "EC2 spot notice: stop at 2024-11-24T22:23:00Z");
}

TEST(SpotNotice, AnUnreadableNoticeStillInterrupts) {
  testing::FakeImds imds;
  imds.set_notice("<html>not json</html>");
  InterruptionWatcher watcher(polling(imds.endpoint(), 20ms));
  ASSERT_TRUE(eventually([&] { return watcher.interrupted(); }));
  EXPECT_NE(watcher.reason().find("unreadable body: <html>not json</html>"), std::string::npos) << watcher.reason();
}

// A port on 127.0.0.1 where nothing listens (bound, then closed): connections are refused.
int closed_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(s);
  return ntohs(address.sin_port);
}

TEST(SpotNotice, UnreachableEndpointIsLoggedOnceAndDoesNotInterrupt) {
  std::ostringstream log;
  {
    InterruptionWatcher watcher(polling("http://127.0.0.1:" + std::to_string(closed_port()), 10ms),
                                Logger(LogLevel::Warn, "ronde", &log));
    std::this_thread::sleep_for(300ms);  // many polls, all refused
    EXPECT_FALSE(watcher.interrupted());
  }  // joins the poller: `log` is no longer written
  EXPECT_EQ(count(log.str(), "spot notice poll failed"), 1) << log.str();
  EXPECT_NE(log.str().find("127.0.0.1"), std::string::npos) << log.str();
}

TEST(SpotNotice, SilentEndpointDoesNotHangTheDestructor) {
  // Listens but never answers: each request runs into its timeout.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);

  std::ostringstream log;
  auto options = polling("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), 10ms);
  options.spot_notice.request_timeout = 200ms;
  auto watcher = std::make_unique<InterruptionWatcher>(options, Logger(LogLevel::Warn, "ronde", &log));
  std::this_thread::sleep_for(100ms);  // a request is in flight
  const auto start = Clock::now();
  watcher.reset();
  EXPECT_LT(Clock::now() - start, 1s);
  ::close(listener);
}

}  // namespace
}  // namespace ronde::checkpoint
