#include "ps/support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef RONDE_PS_SERVER_BINARY
#error "RONDE_PS_SERVER_BINARY must name the ronde-ps-server binary"
#endif

namespace ronde::ps::testing {
namespace {

int read_port(const std::string& path) {
  std::ifstream in(path);
  int port = 0;
  if (in >> port) return port;
  return 0;
}

}  // namespace

pid_t spawn_logged(const std::vector<std::string>& argv_text, const std::string& log_path,
                   std::size_t address_space_bytes) {
  std::vector<std::string> text = argv_text;
  std::vector<char*> argv;
  for (auto& item : text) argv.push_back(item.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    setenv("GRPC_VERBOSITY", "NONE", 0);
    if (address_space_bytes > 0) {
      const rlimit limit{address_space_bytes, address_space_bytes};
      if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

ServerProcess::ServerProcess(std::vector<std::string> arguments, std::string host)
    : arguments_(std::move(arguments)),
      host_(std::move(host)),
      log_path_(work_dir_.file("server.log")) {}

ServerProcess::~ServerProcess() {
  if (running()) stop(SIGKILL);
}

void ServerProcess::start(std::chrono::milliseconds timeout) {
  if (running()) throw std::runtime_error("ServerProcess::start: the server is already running");
  const std::string port_file = work_dir_.file("port");
  std::filesystem::remove(port_file);
  std::vector<std::string> argv = {RONDE_PS_SERVER_BINARY, "--listen", host_ + ":" + std::to_string(port_),
                                   "--port-file", port_file};
  argv.insert(argv.end(), arguments_.begin(), arguments_.end());
  pid_ = spawn_logged(argv, log_path_, address_space_bytes_);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (const int port = read_port(port_file); port > 0) {
      port_ = port;
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (port_ != 0) {  // the previous port may be taken by now: try a fresh one once
        port_ = 0;
        return start(timeout);
      }
      throw std::runtime_error("ronde-ps-server exited before listening; log:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop(SIGKILL);
  throw std::runtime_error("ronde-ps-server did not listen within the timeout; log:\n" + log_tail());
}

int ServerProcess::stop(int signal_number) {
  if (!running()) return 0;
  ::kill(pid_, signal_number);
  return wait();
}

void ServerProcess::signal(int signal_number) {
  if (running()) ::kill(pid_, signal_number);
}

int ServerProcess::wait() {
  if (!running()) return 0;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

std::string ServerProcess::address() const { return host_ + ":" + std::to_string(port_); }

std::string ServerProcess::log_tail(std::size_t bytes) const {
  std::ifstream in(log_path_);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace ronde::ps::testing
