#include "ps/server/server_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ronde::ps::testing {

BinaryRun run_server_binary(const std::vector<std::string>& arguments, std::chrono::milliseconds timeout) {
  TempDir dir("ps-test");
  const std::string log = dir.path() + "/output";
  std::vector<std::string> argv = {RONDE_PS_SERVER_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const pid_t pid = spawn_logged(argv, log);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BinaryRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(log);
  std::ostringstream output;
  output << in.rdbuf();
  run.output = output.str();
  return run;
}

::testing::AssertionResult refused(const grpc::Status& status, const std::vector<std::string>& needles,
                                   grpc::StatusCode code) {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure() << "status " << status.error_code() << " (expected " << code
                                         << "): " << status.error_message();
  }
  for (const auto& needle : needles) {
    if (status.error_message().find(needle) == std::string::npos) {
      return ::testing::AssertionFailure() << "the message does not name '" << needle
                                           << "': " << status.error_message();
    }
  }
  return ::testing::AssertionSuccess() << status.error_message();
}

}  // namespace ronde::ps::testing
