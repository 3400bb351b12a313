// A plaintext server on an address other hosts can reach says so: one WARN line in its log. On
// loopback, or with TLS, it does not. The server is started here directly (ServerProcess always
// listens on 127.0.0.1), on port 0 of every interface, and stopped with SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ps/tls/tls_fixture.h"

#ifndef RONDE_PS_SERVER_BINARY
#error "RONDE_PS_SERVER_BINARY must name the ronde-ps-server binary"
#endif

namespace ronde::ps::testing {
namespace {

namespace fs = std::filesystem;

// Runs ronde-ps-server --listen `listen` with `arguments` until it has written its port, then stops
// it with SIGTERM; returns everything it logged.
std::string server_log(const std::string& listen, std::vector<std::string> arguments) {
  std::string dir = (fs::temp_directory_path() / "ronde-ps-warning-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  const std::string log = dir + "/server.log";
  const std::string port_file = dir + "/port";
  arguments.insert(arguments.begin(), {RONDE_PS_SERVER_BINARY, "--listen", listen, "--port-file", port_file});
  std::vector<char*> argv;
  for (auto& item : arguments) argv.push_back(item.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    setenv("GRPC_VERBOSITY", "NONE", 0);
    execv(argv[0], argv.data());
    _exit(127);
  }
  bool listening = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!listening && std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    int port = 0;
    listening = static_cast<bool>(in >> port) && port > 0;
    if (!listening) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) break;  // exited: the log says why
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(log);
  std::ostringstream text;
  text << in.rdbuf();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  EXPECT_TRUE(listening) << "the server did not listen on " << listen << "; its log:\n" << text.str();
  return text.str();
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
  const std::string log = server_log("0.0.0.0:0", server_arguments(TlsMode::Off, /*with_token=*/true));
  const auto warnings = plaintext_warnings(log);
  EXPECT_EQ(warnings.size(), 1u) << "expected one WARN line about plaintext; the log:\n" << log;
  if (!warnings.empty()) {
    EXPECT_NE(warnings[0].find("0.0.0.0"), std::string::npos) << warnings[0];
  }
}

TEST(PsPlaintextWarning, PlaintextOnLoopbackDoesNotWarn) {
  const std::string log = server_log("127.0.0.1:0", server_arguments(TlsMode::Off, /*with_token=*/true));
  EXPECT_TRUE(plaintext_warnings(log).empty()) << log;
}

TEST(PsPlaintextWarning, TlsOnEveryInterfaceDoesNotWarn) {
  const std::string log = server_log("0.0.0.0:0", server_arguments(TlsMode::Mutual, /*with_token=*/true));
  EXPECT_TRUE(plaintext_warnings(log).empty()) << log;
}

}  // namespace
}  // namespace ronde::ps::testing
