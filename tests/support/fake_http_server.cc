#include "support/fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace ronde::testing {

namespace {

// A socket bound to 127.0.0.1 on an ephemeral port; returns the socket and sets `port`.
int bind_loopback(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("bind(127.0.0.1:0) failed");
  }
  port = ntohs(address.sin_port);
  return fd;
}

std::string lowered(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

std::string reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    default: return "Status";
  }
}

}  // namespace

std::string FakeRequest::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listener_ = bind_loopback(port_);
  if (::listen(listener_, 16) != 0) throw std::runtime_error("listen() failed");
  thread_ = std::thread([this] { serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stop_ = true;
  thread_.join();
  ::close(listener_);
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return log_;
}

int FakeHttpServer::count(const std::string& method, const std::string& path) const {
  std::lock_guard lock(mutex_);
  int n = 0;
  for (const auto& request : log_) n += request.method == method && request.path == path;
  return n;
}

void FakeHttpServer::serve() {
  while (!stop_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, 20) <= 0) continue;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    answer(connection);
    ::close(connection);
  }
}

void FakeHttpServer::answer(int connection) {
  // Read the head (and a Content-Length body, which is discarded); give up after 2 s of silence.
  std::string data;
  std::size_t head_end = std::string::npos;
  char buffer[4096];
  while (head_end == std::string::npos) {
    pollfd readable{connection, POLLIN, 0};
    if (::poll(&readable, 1, 2000) <= 0) return;
    const ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
    if (n <= 0) return;
    data.append(buffer, static_cast<std::size_t>(n));
    head_end = data.find("\r\n\r\n");
  }

  FakeRequest request;
  std::size_t line_start = 0;
  bool first = true;
  while (line_start < head_end) {
    const auto line_end = data.find("\r\n", line_start);
    const std::string line = data.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    if (first) {
      const auto space = line.find(' ');
      request.method = line.substr(0, space);
      request.path = line.substr(space + 1, line.find(' ', space + 1) - space - 1);
      first = false;
    } else if (const auto colon = line.find(':'); colon != std::string::npos) {
      request.headers[lowered(line.substr(0, colon))] = trimmed(line.substr(colon + 1));
    }
  }
  std::size_t body_bytes = request.has_header("content-length") ? std::stoul(request.header("content-length")) : 0;
  std::size_t have = data.size() - head_end - 4;
  while (have < body_bytes) {
    const ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
  }

  {
    std::lock_guard lock(mutex_);
    log_.push_back(request);
  }
  const FakeResponse response = handler_(request);
  const std::string reply = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) +
                            "\r\nContent-Length: " + std::to_string(response.body.size()) +
                            "\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" + response.body;
  std::size_t sent = 0;
  while (sent < reply.size()) {
    const ssize_t n = ::send(connection, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

SilentListener::SilentListener() {
  socket_ = bind_loopback(port_);
  if (::listen(socket_, 16) != 0) throw std::runtime_error("listen() failed");
}

SilentListener::~SilentListener() { ::close(socket_); }

UnansweredListener::UnansweredListener() {
  socket_ = bind_loopback(port_);
  // A backlog of 1: two connections fill the queue (a backlog of 0 would make the kernel answer
  // the first one with a SYN cookie and log a SYN flood warning).
  if (::listen(socket_, 1) != 0) {
    ::close(socket_);
    throw std::runtime_error("listen() failed");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  for (int attempt = 0; attempt < 16; ++attempt) {
    // For a listening socket, TCP_INFO reports the accept queue's length in tcpi_unacked and its
    // limit in tcpi_sacked; beyond the limit the kernel drops new SYNs.
    tcp_info info{};
    socklen_t length = sizeof(info);
    if (::getsockopt(socket_, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) break;
    if (info.tcpi_unacked > info.tcpi_sacked) return;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    queued_.push_back(fd);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 && errno != EINPROGRESS) break;
    pollfd connected{fd, POLLOUT, 0};
    ::poll(&connected, 1, 1000);  // a connection that does not complete is a SYN already dropped
  }
  for (const int fd : queued_) ::close(fd);
  ::close(socket_);
  throw std::runtime_error("could not fill the accept queue of a socket on 127.0.0.1");
}

UnansweredListener::~UnansweredListener() {
  for (const int fd : queued_) ::close(fd);
  ::close(socket_);
}

int closed_port() {
  int port = 0;
  ::close(bind_loopback(port));
  return port;
}

}  // namespace ronde::testing
