// A server process ps_bench starts: a ronde-ps-server, or ps_bench itself in --raw-server mode. It
// is given "--listen 127.0.0.1:0 --port-file F" and is ready once it has written its port to F.
//
//   ChildProcess server({binary, "--shard", "0", ...}, "/tmp/x/server-0.log");
//   server.start();          // listening once this returns
//   dial("127.0.0.1:" + std::to_string(server.port()));
//   server.stop();           // SIGTERM, then SIGKILL if it has not exited within 10 s
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ronde::bench::ps {

class ChildProcess {
 public:
  // `argv[0]` is the binary; stdout and stderr go to `log_path`.
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();  // stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts it and waits until it has written its port; throws std::runtime_error with the log's
  // tail when it exits or does not listen within `timeout`.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void stop();
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log_tail() const;

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  std::string port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ronde::bench::ps
