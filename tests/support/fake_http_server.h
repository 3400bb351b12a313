// A tiny HTTP/1.1 server on 127.0.0.1 for tests: one thread, one request per connection
// ("Connection: close"), answers computed by a handler. Every request is logged.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ronde::testing {

struct FakeRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased

  // The header's value, or "" when absent.
  std::string header(const std::string& lower_name) const;
  bool has_header(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
};

struct FakeResponse {
  int status = 200;
  std::string body;
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  // Listens on an ephemeral port of 127.0.0.1 and serves until destroyed.
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> requests() const;
  // How many logged requests had this method and path.
  int count(const std::string& method, const std::string& path) const;

 private:
  void serve();
  void answer(int connection);

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<FakeRequest> log_;
  std::thread thread_;
};

// A port on 127.0.0.1 that is listening but never accepts nor answers: connections succeed (the
// kernel's backlog) and then nothing comes back, as with a firewalled metadata endpoint.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int socket_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 where connect() itself hangs, as it does towards an unroutable address:
// the listening socket's accept queue is kept full by connections nobody accepts, so the kernel
// drops every further SYN and the connecting side waits until its own timeout.
// std::runtime_error if the queue cannot be filled.
class UnansweredListener {
 public:
  UnansweredListener();
  ~UnansweredListener();
  UnansweredListener(const UnansweredListener&) = delete;
  UnansweredListener& operator=(const UnansweredListener&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int socket_ = -1;
  int port_ = 0;
  std::vector<int> queued_;  // the connections that fill the queue
};

// A port on 127.0.0.1 nobody listens on (bound, then closed): connections are refused.
int closed_port();

}  // namespace ronde::testing
