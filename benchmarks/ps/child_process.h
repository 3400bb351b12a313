// A server process ps_bench starts: a ronde-ps-server, or ps_bench itself in --raw-server mode. It
// is given "--listen 127.0.0.1:0 --port-file F" and is ready once it has written its port to F.
// With a Placement on another host it is started through the placement's launcher (which must
// exec the command, so that the pid ps_bench holds is the server's), listens on every interface
// and is dialled by the host's name; F must then lie on a file system both hosts see.
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

// Where a server runs: here (the default), or on `host` through `launcher`, a command prefix such
// as {"scripts/cluster.sh", "exec", "h2", "--"}.
struct Placement {
  std::string host;                   // empty: this host, on loopback
  std::vector<std::string> launcher;  // run before argv when host is set
};

class ChildProcess {
 public:
  // `argv[0]` is the binary; stdout and stderr go to `log_path`.
  ChildProcess(std::vector<std::string> argv, std::string log_path, Placement placement = {});
  ~ChildProcess();  // stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts it and waits until it has written its port; throws std::runtime_error with the log's
  // tail when it exits or does not listen within `timeout`.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void stop();
  int port() const { return port_; }
  // What a client dials: "127.0.0.1:PORT", or "HOST:PORT" when placed on another host.
  std::string address() const {
    return (placement_.host.empty() ? std::string("127.0.0.1") : placement_.host) + ":" + std::to_string(port_);
  }
  std::string log_tail() const;

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  Placement placement_;
  std::string port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ronde::bench::ps
