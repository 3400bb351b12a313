#include "fake_imds.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

namespace ronde::checkpoint::testing {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

void send_all(int connection, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(connection, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void respond(int connection, int status, const std::string& body) {
  const char* text = status == 200 ? "OK" : status == 401 ? "Unauthorized" : status == 404 ? "Not Found" : "Error";
  send_all(connection, "HTTP/1.1 " + std::to_string(status) + " " + text + "\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

}  // namespace

FakeImds::FakeImds() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw std::runtime_error("fake IMDS: socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listener_);
    throw std::runtime_error("fake IMDS: bind/listen failed");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeImds::~FakeImds() {
  stopping_ = true;
  thread_.join();
  ::close(listener_);
}

void FakeImds::set_notice(std::string json) {
  std::lock_guard lock(mutex_);
  notice_ = std::move(json);
}

void FakeImds::rotate_token() {
  std::lock_guard lock(mutex_);
  ++token_generation_;
}

void FakeImds::serve() {
  while (!stopping_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, 20) <= 0) continue;  // wake up regularly to notice stopping_
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    handle(connection);
    ::close(connection);
  }
}

void FakeImds::handle(int connection) {
  // The request head, up to the blank line (these requests have no body).
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
    pollfd ready{connection, POLLIN, 0};
    if (::poll(&ready, 1, 2000) <= 0) return;
    const ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    request.append(buffer, static_cast<std::size_t>(n));
  }
  const std::size_t line_end = request.find("\r\n");
  const std::string line = request.substr(0, line_end);
  const std::string method = line.substr(0, line.find(' '));
  const std::size_t path_begin = line.find(' ') + 1;
  const std::string path = line.substr(path_begin, line.find(' ', path_begin) - path_begin);
  std::map<std::string, std::string> headers;
  for (std::size_t at = line_end + 2; at < request.size();) {
    const std::size_t end = request.find("\r\n", at);
    if (end == std::string::npos || end == at) break;
    const std::string header = request.substr(at, end - at);
    const std::size_t colon = header.find(':');
    if (colon != std::string::npos) {
      std::string value = header.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      headers[lower(header.substr(0, colon))] = value;
    }
    at = end + 2;
  }

  std::unique_lock lock(mutex_);
  const std::string token = "token-" + std::to_string(token_generation_);
  if (method == "PUT" && path == "/latest/api/token") {
    ++token_requests_;
    if (!headers.contains("x-aws-ec2-metadata-token-ttl-seconds")) return respond(connection, 400, "missing TTL");
    return respond(connection, 200, token);
  }
  if (method == "GET" && path == "/latest/meta-data/spot/instance-action") {
    ++notice_requests_;
    if (headers["x-aws-ec2-metadata-token"] != token) {
      ++unauthorized_;
      return respond(connection, 401, "");
    }
    if (!notice_) return respond(connection, 404, "");
    return respond(connection, 200, *notice_);
  }
  respond(connection, 404, "");
}

}  // namespace ronde::checkpoint::testing
