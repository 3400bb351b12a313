// Helpers shared by the server tests: a running ronde-ps-server with a raw client, running the
// binary to completion, temporary directories, and the checks every refusal must pass.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ps/server/raw_client.h"
#include "ps/support/server_process.h"
#include "support/temp_dir.h"

namespace ronde::ps::testing {

struct RunningServer {
  explicit RunningServer(std::vector<std::string> arguments, std::string token = {})
      : process(std::move(arguments)), token_(std::move(token)) {
    process.start();
    client = std::make_unique<RawClient>(process.address(), token_);
  }
  // After a restart (process.start()) the address may be new: reconnect.
  void reconnect() { client = std::make_unique<RawClient>(process.address(), token_); }

  ServerProcess process;
  std::unique_ptr<RawClient> client;

 private:
  std::string token_;
};

// A directory removed when the object goes away.
// The shared temporary-directory helper (tests/support/temp_dir.h).
using TempDir = ronde::testing::TempDir;

struct BinaryRun {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout and stderr together
};
// Runs ronde-ps-server with `arguments` to completion (at most `timeout`, then SIGKILL).
BinaryRun run_server_binary(const std::vector<std::string>& arguments,
                            std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The checks of issue item 8: INVALID_ARGUMENT whose message contains every `needle`.
::testing::AssertionResult refused(const grpc::Status& status, const std::vector<std::string>& needles,
                                   grpc::StatusCode code = grpc::StatusCode::INVALID_ARGUMENT);

}  // namespace ronde::ps::testing
