// A real moto_server (Python's moto S3 emulator) as a child process of the test, for the S3
// backend's tests.
//
//   auto moto = MotoServer::start({.buckets = {"ronde-test"}});
//   if (!moto) GTEST_SKIP() << MotoServer::why_unavailable();
//   open_s3_storage("s3://ronde-test/run?endpoint=" + moto->endpoint(), ...);
//
// The server listens on 127.0.0.1 on a free port, in its own process group. The destructor kills
// the group and reaps it; the child also gets SIGKILL when the test process dies (PR_SET_PDEATHSIG),
// so no server outlives a crashed test.
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ronde::testing {

struct MotoOptions {
  std::vector<std::string> buckets;  // created once the server is up
  // Signature checking: the server starts with INITIAL_NO_AUTH_ACTION_COUNT, an IAM user with an
  // s3:* policy and an access key are created, then every request must be signed with that key.
  bool check_signatures = false;
};

class MotoServer {
 public:
  // nullptr when moto_server or the Python with boto3 is missing (why_unavailable() says why).
  // Throws std::runtime_error when the server starts but does not work.
  static std::unique_ptr<MotoServer> start(const MotoOptions& options);
  static std::string why_unavailable();
  ~MotoServer();

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // With check_signatures: the IAM user's key; otherwise any key works ("testing").
  const std::string& access_key_id() const { return access_key_id_; }
  const std::string& secret_access_key() const { return secret_access_key_; }

 private:
  MotoServer() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;  // the server's output; removed with the server unless it failed to start
  bool keep_log_ = false;
  std::string access_key_id_ = "testing";
  std::string secret_access_key_ = "testing";
};

// A TCP port nobody listens on right now (bound, read, released).
int free_tcp_port();

}  // namespace ronde::testing
