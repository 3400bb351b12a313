#include "fault_proxy.h"

#include "support/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace ronde::testing {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Buffered reads from one socket.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  // The head of a message, through its blank line; empty at end of stream or error.
  std::string head() {
    for (;;) {
      const auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buffer_.substr(0, end + 4);
        buffer_.erase(0, end + 4);
        return head;
      }
      if (!fill()) return {};
    }
  }
  // Exactly `size` bytes (fewer at end of stream).
  std::string bytes(std::size_t size) {
    while (buffer_.size() < size && fill()) {
    }
    std::string out = buffer_.substr(0, std::min(size, buffer_.size()));
    buffer_.erase(0, out.size());
    return out;
  }
  std::string rest() {
    while (fill()) {
    }
    std::string out;
    out.swap(buffer_);
    return out;
  }

 private:
  bool fill() {
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  std::string buffer_;
};

// The value of header `name` (lower-case) in `head`, or empty.
std::string header_value(const std::string& head, const std::string& name) {
  const std::string text = lower(head);
  const auto at = text.find("\r\n" + name + ":");
  if (at == std::string::npos) return {};
  auto start = at + 3 + name.size();
  const auto end = text.find("\r\n", start);
  while (start < end && text[start] == ' ') ++start;
  return head.substr(start, end - start);
}


struct Response {
  std::string head;
  std::string body;
  bool ok = false;
};

// Sends one request upstream on a new connection ("Connection: close") and reads the response.
Response forward(int upstream_port, const std::string& method, const std::string& head, const std::string& body) {
  Response response;
  const int upstream = connect_loopback(upstream_port);
  if (upstream < 0) return response;
  const auto first_line_end = head.find("\r\n");
  std::string rewritten = head.substr(0, first_line_end + 2) + "Connection: close\r\n";
  std::string rest = head.substr(first_line_end + 2);
  // Drop the client's own Connection header; ours says close.
  const auto at = lower(rest).find("connection:");
  if (at != std::string::npos && (at == 0 || rest[at - 1] == '\n')) rest.erase(at, rest.find("\r\n", at) + 2 - at);
  rewritten += rest;
  if (send_all(upstream, rewritten.data(), rewritten.size()) && send_all(upstream, body.data(), body.size())) {
    Reader reader(upstream);
    response.head = reader.head();
    if (!response.head.empty()) {
      const std::string length = header_value(response.head, "content-length");
      const int status = std::atoi(response.head.c_str() + 9);
      if (method == "HEAD" || status == 204 || status == 304) {
        response.body.clear();
      } else if (!length.empty()) {
        response.body = reader.bytes(std::stoull(length));
      } else {
        response.body = reader.rest();
      }
      response.ok = true;
    }
  }
  close(upstream);
  return response;
}

}  // namespace

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
  listener_ = listen_loopback(port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int client : clients_) shutdown(client, SHUT_RDWR);
  }
  for (auto& thread : threads_) thread.join();
  close(listener_);
}

void FaultProxy::add(FaultRule rule) {
  std::lock_guard lock(mutex_);
  rules_.push_back(std::move(rule));
}

void FaultProxy::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

int FaultProxy::requests_seen(const std::string& method) const {
  std::lock_guard lock(mutex_);
  const auto found = methods_.find(method);
  return found == methods_.end() ? 0 : found->second;
}

bool FaultProxy::pick_fault(const std::string& method, const std::string& target, Fault& fault,
                            std::function<void()>& hook) {
  std::lock_guard lock(mutex_);
  ++methods_[method];
  for (auto& rule : rules_) {
    if (rule.count == 0) continue;
    if (!rule.method.empty() && rule.method != method) continue;
    if (!rule.match.empty() && target.find(rule.match) == std::string::npos) continue;
    if (rule.count > 0) --rule.count;
    fault = rule.fault;
    hook = rule.hook;  // called outside the lock
    ++injected_;
    return true;
  }
  return false;
}

void FaultProxy::accept_loop() {
  while (!stopping_) {
    pollfd waiting{listener_, POLLIN, 0};
    if (poll(&waiting, 1, 50) <= 0) continue;
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    std::lock_guard lock(mutex_);
    clients_.push_back(client);
    threads_.emplace_back([this, client] { serve(client); });
  }
}

void FaultProxy::serve(int client) {
  Reader reader(client);
  while (!stopping_) {
    const std::string head = reader.head();
    if (head.empty()) break;
    ++requests_;
    const auto space = head.find(' ');
    const std::string method = head.substr(0, space);
    const std::string target = head.substr(space + 1, head.find(' ', space + 1) - space - 1);
    const std::string length = header_value(head, "content-length");
    const std::string body = length.empty() ? std::string() : reader.bytes(std::stoull(length));

    Fault fault{};
    std::function<void()> hook;
    bool faulted = pick_fault(method, target, fault, hook);
    if (faulted && fault == Fault::Hook) {
      if (hook) hook();
      faulted = false;  // then the request goes through untouched
    }
    if (!faulted) {
      const Response response = forward(upstream_port_, method, head, body);
      if (!response.ok) break;
      if (!send_all(client, response.head.data(), response.head.size()) ||
          !send_all(client, response.body.data(), response.body.size())) {
        break;
      }
      if (lower(header_value(response.head, "connection")) == "close" ||
          (header_value(response.head, "content-length").empty() && method != "HEAD")) {
        break;
      }
      continue;
    }
    if (fault == Fault::Drop) break;
    if (fault == Fault::DropResponse) {
      forward(upstream_port_, method, head, body);
      break;
    }
    if (fault == Fault::SlowDown) {
      const std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                              "<Message>Please reduce your request rate.</Message><RequestId>fault-proxy-" +
                              std::to_string(requests_.load()) + "</RequestId></Error>";
      const std::string reply = "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: " +
                                std::to_string(xml.size()) + "\r\nx-amz-request-id: fault-proxy-" +
                                std::to_string(requests_.load()) + "\r\n\r\n" + xml;
      if (!send_all(client, reply.data(), reply.size())) break;
      continue;
    }
    if (fault == Fault::Stall) {
      // Hold the connection, sending nothing, until the client hangs up or the proxy stops.
      while (!stopping_) {
        pollfd waiting{client, POLLIN, 0};
        if (poll(&waiting, 1, 50) > 0) {
          char byte;
          if (recv(client, &byte, 1, MSG_PEEK) <= 0) break;
        }
      }
      break;
    }
    // Truncate.
    const Response response = forward(upstream_port_, method, head, body);
    if (response.ok) {
      send_all(client, response.head.data(), response.head.size());
      send_all(client, response.body.data(), response.body.size() / 2);
    }
    break;
  }
  shutdown(client, SHUT_RDWR);
  std::lock_guard lock(mutex_);
  clients_.erase(std::remove(clients_.begin(), clients_.end(), client), clients_.end());
  close(client);
}

}  // namespace ronde::testing
