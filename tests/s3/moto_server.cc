#include "moto_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ronde::testing {

namespace {

// RONDE_MOTO_SERVER, else moto_server on PATH; empty when neither exists.
std::string find_moto_server() {
  if (const char* explicit_path = std::getenv("RONDE_MOTO_SERVER"); explicit_path && *explicit_path) return explicit_path;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/moto_server";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

bool accepts_connections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

// Runs the admin script; returns its standard output. Throws when it fails.
std::string run_admin(const std::string& arguments) {
  const std::string command = std::string(RONDE_TEST_PYTHON) + " " + RONDE_MOTO_ADMIN_SCRIPT + " " + arguments;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  if (status != 0) throw std::runtime_error(command + " failed (status " + std::to_string(status) + ")");
  return output;
}

}  // namespace

int free_tcp_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a free port");
  }
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::string MotoServer::why_unavailable() {
  if (find_moto_server().empty()) return "moto_server is not on PATH (pip install 'moto[server]'; or set RONDE_MOTO_SERVER)";
  return {};
}

std::unique_ptr<MotoServer> MotoServer::start(const MotoOptions& options) {
  const std::string program = find_moto_server();
  if (program.empty()) return nullptr;
  std::unique_ptr<MotoServer> server(new MotoServer());
  server->port_ = free_tcp_port();
  server->log_path_ = "/tmp/ronde-moto-" + std::to_string(server->port_) + ".log";
  const std::string port = std::to_string(server->port_);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // the test died before prctl took effect
    const int log = open(server->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
      close(log);
    }
    if (options.check_signatures) setenv("INITIAL_NO_AUTH_ACTION_COUNT", "12", 1);
    execl(program.c_str(), program.c_str(), "-H", "127.0.0.1", "-p", port.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  server->pid_ = pid;
  setpgid(pid, pid);  // also from here, so that the group exists before any kill

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!accepts_connections(server->port_)) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      server->keep_log_ = true;
      throw std::runtime_error(program + " exited at start (status " + std::to_string(status) + "); see " + server->log_path_);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      server->keep_log_ = true;
      throw std::runtime_error(program + " did not listen on port " + port + " within 30 s; see " + server->log_path_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  std::string arguments = server->endpoint();
  if (options.check_signatures) arguments += " --iam";
  for (const auto& bucket : options.buckets) arguments += " " + bucket;
  if (options.check_signatures || !options.buckets.empty()) {
    const std::string output = run_admin(arguments);
    if (options.check_signatures) {
      std::istringstream words(output);
      words >> server->access_key_id_ >> server->secret_access_key_;
      if (server->secret_access_key_.empty()) throw std::runtime_error("moto_admin.py printed no access key: " + output);
    }
  }
  return server;
}

MotoServer::~MotoServer() {
  if (!keep_log_ && !log_path_.empty()) unlink(log_path_.c_str());
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  for (int i = 0; i < 10; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      kill(-pid_, SIGKILL);  // anything the server left in its group
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

}  // namespace ronde::testing
