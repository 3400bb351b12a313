// The guard of tests/support/loopback_only.cc, which this program links: connect() to anything but
// loopback aborts the process before a packet is sent, also when libcurl makes the call.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws/metadata_http.h"
#include "support/fake_http_server.h"

namespace ronde::aws {
namespace {

// The program's connect() is the guard, and the one every shared library (libcurl) binds to.
bool guard_is_installed() { return dlsym(RTLD_DEFAULT, "connect") == reinterpret_cast<void*>(&::connect); }

TEST(LoopbackOnly, TheGuardIsWhatLibrariesCall) { EXPECT_TRUE(guard_is_installed()); }

TEST(LoopbackOnly, LoopbackConnectionsGoThrough) {
  testing::FakeHttpServer server([](const testing::FakeRequest&) { return testing::FakeResponse{200, "ok"}; });
  EXPECT_EQ(metadata_request("GET", server.url() + "/", {}, HttpTimeouts{}).body, "ok");
}

// Addresses reserved for documentation (192.0.2.0/24, 2001:db8::/32): nothing would answer there,
// and without the guard (checked first) nothing is tried.
TEST(LoopbackOnlyDeathTest, ConnectingElsewhereAbortsNamingTheAddress) {
  ASSERT_TRUE(guard_is_installed());
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(metadata_request("PUT", "http://192.0.2.1/latest/api/token", {}, HttpTimeouts{}),
               "tried to connect to 192.0.2.1 port 80, which is not loopback");
  EXPECT_DEATH(
      {
        const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
        sockaddr_in6 address{};
        address.sin6_family = AF_INET6;
        address.sin6_port = htons(443);
        inet_pton(AF_INET6, "2001:db8::1", &address.sin6_addr);
        ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
      },
      "tried to connect to 2001:db8::1 port 443");
}

}  // namespace
}  // namespace ronde::aws
