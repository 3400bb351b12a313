// A real ronde-ps-server process for tests: started on a free loopback port, stopped with SIGTERM
// (graceful: final checkpoint) or SIGKILL (a crash), and restarted with the same arguments.
//
//   ServerProcess server({"--shard", "0", "--shards", "1", "--workers", "2", "--optimizer", "sgd"});
//   server.start();                         // returns once the server is listening
//   Client client({.servers = {server.address()}});
//   server.kill(SIGKILL); server.start();   // same arguments, a new port unless pinned
//
// The binary is the one CMake built (RONDE_PS_SERVER_BINARY). Its output goes to a log file whose
// path log_path() gives (tests print it on failure).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace ronde::ps::testing {

// Starts `argv` (argv[0]: the program's path) with stdout and stderr appended to `log_path` and
// GRPC_VERBOSITY=NONE unless set; returns its pid. A non-zero `address_space_bytes` limits the
// child's address space (RLIMIT_AS), so that allocations beyond it fail instead of exhausting the
// machine. Throws std::runtime_error if fork fails (an exec failure is the child's exit status 127).
pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log_path,
                   std::size_t address_space_bytes = 0);

class ServerProcess {
 public:
  // `arguments` are ronde-ps-server's flags without --listen/--port-file, which start() adds;
  // it listens on `host` (e.g. "0.0.0.0" for every interface).
  explicit ServerProcess(std::vector<std::string> arguments, std::string host = "127.0.0.1");
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits (up to `timeout`) until it has written its port; throws
  // std::runtime_error with the log's tail if it exits or times out first. A restart reuses the
  // previous port (so clients can reconnect to the same address) unless that fails to bind.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends `signal` and waits for the process to exit; returns its exit status as waitpid gives it
  // (decode with WIFEXITED/WEXITSTATUS/WIFSIGNALED).
  int stop(int signal = 15 /* SIGTERM */);
  // Sends `signal` without waiting.
  void signal(int signal);
  // Waits for an exit that something else caused; returns the waitpid status.
  int wait();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string address() const;  // "<host>:<port>"
  const std::string& log_path() const { return log_path_; }
  std::string log_tail(std::size_t bytes = 4000) const;
  // Arguments for the next start() (e.g. to change --shards before a restart).
  std::vector<std::string>& arguments() { return arguments_; }
  // Limits the address space of the processes start() starts (0: no limit; see spawn_logged).
  void limit_address_space(std::size_t bytes) { address_space_bytes_ = bytes; }

 private:
  std::vector<std::string> arguments_;
  std::string host_;
  ronde::testing::TempDir work_dir_{"ps-server"};  // the port file and the log; removed last
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::size_t address_space_bytes_ = 0;
};

}  // namespace ronde::ps::testing
