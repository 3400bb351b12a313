// A plaintext server on an address other hosts can reach says so: one WARN line in its log. On
// loopback, or with TLS, it does not. The server listens on port 0 of every interface and is
// stopped with SIGTERM.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "ps/support/server_process.h"
#include "ps/tls/tls_fixture.h"

namespace ronde::ps::testing {
namespace {

// Runs ronde-ps-server on `host` (port 0) with `arguments` until it listens, then stops it with
// SIGTERM; returns everything it logged.
std::string server_log(const std::string& host, std::vector<std::string> arguments) {
  ServerProcess server(std::move(arguments), host);
  try {
    server.start();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "the server did not listen on " << host << ": " << error.what();
    return server.log_tail(1 << 20);
  }
  server.stop(SIGTERM);
  return server.log_tail(1 << 20);
}

// The lines of `log` at WARN level that mention plaintext (any case).
std::vector<std::string> plaintext_warnings(const std::string& log) {
  std::vector<std::string> found;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (line.find("WARN") != std::string::npos && lower.find("plaintext") != std::string::npos) found.push_back(line);
  }
  return found;
}

TEST(PsPlaintextWarning, PlaintextOnEveryInterfaceWarns) {
  const std::string log = server_log("0.0.0.0", server_arguments(TlsMode::Off, /*with_token=*/true));
  const auto warnings = plaintext_warnings(log);
  EXPECT_EQ(warnings.size(), 1u) << "expected one WARN line about plaintext; the log:\n" << log;
  if (!warnings.empty()) {
    EXPECT_NE(warnings[0].find("0.0.0.0"), std::string::npos) << warnings[0];
  }
}

TEST(PsPlaintextWarning, PlaintextOnLoopbackDoesNotWarn) {
  const std::string log = server_log("127.0.0.1", server_arguments(TlsMode::Off, /*with_token=*/true));
  EXPECT_TRUE(plaintext_warnings(log).empty()) << log;
}

TEST(PsPlaintextWarning, TlsOnEveryInterfaceDoesNotWarn) {
  const std::string log = server_log("0.0.0.0", server_arguments(TlsMode::Mutual, /*with_token=*/true));
  EXPECT_TRUE(plaintext_warnings(log).empty()) << log;
}

}  // namespace
}  // namespace ronde::ps::testing
