#include "ps/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ronde::bench::ps {
namespace {

int read_port(const std::string& path) {
  std::ifstream in(path);
  int port = 0;
  return in >> port ? port : 0;
}

// waitpid without EINTR; true when the child has exited (and was reaped).
bool reap(pid_t pid, bool block) {
  int status = 0;
  for (;;) {
    const pid_t got = waitpid(pid, &status, block ? 0 : WNOHANG);
    if (got == pid) return true;
    if (got < 0 && errno == EINTR) continue;
    return got < 0;  // ECHILD: gone already
  }
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path, Placement placement)
    : argv_(std::move(argv)),
      log_path_(std::move(log_path)),
      placement_(std::move(placement)),
      port_file_(log_path_ + ".port") {}

ChildProcess::~ChildProcess() { stop(); }

void ChildProcess::start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) throw std::runtime_error("ChildProcess::start: " + argv_.at(0) + " is already running");
  std::filesystem::remove(port_file_);
  std::vector<std::string> text = argv_;
  const bool remote = !placement_.host.empty();
  text.insert(text.begin() + 1, {"--listen", remote ? "0.0.0.0:0" : "127.0.0.1:0", "--port-file", port_file_});
  if (remote) text.insert(text.begin(), placement_.launcher.begin(), placement_.launcher.end());
  std::vector<char*> argv;
  for (auto& item : text) argv.push_back(item.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    execvp(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (const int port = read_port(port_file_); port > 0) {
      port_ = port;
      return;
    }
    if (reap(pid_, false)) {
      pid_ = -1;
      throw std::runtime_error(argv_[0] + " exited before listening; its log:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  throw std::runtime_error(argv_[0] + " did not listen within the timeout; its log:\n" + log_tail());
}

void ChildProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!reap(pid_, false)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      reap(pid_, true);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

std::string ChildProcess::log_tail() const {
  std::ifstream in(log_path_);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 3000 ? all.substr(all.size() - 3000) : all;
}

}  // namespace ronde::bench::ps
