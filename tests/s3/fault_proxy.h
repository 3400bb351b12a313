// A fault-injecting HTTP proxy for the S3 backend's retry tests: it sits between the client and
// moto_server on 127.0.0.1 and, for requests matching a rule, misbehaves the way networks and S3
// do, or runs a test's hook (another writer's put) just before forwarding the request. Each
// request goes to the upstream on a fresh connection; everything not faulted is passed through
// byte for byte.
//
//   FaultProxy proxy(moto->port());
//   proxy.add({.fault = Fault::SlowDown, .match = "partNumber=2", .count = 2});
//   open_s3_storage("s3://b/k?endpoint=" + proxy.endpoint(), ...);
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ronde::testing {

enum class Fault {
  Drop,          // close the connection without forwarding the request (a reset before S3 saw it)
  DropResponse,  // forward the request, then close without sending the response (S3 acted, the reply was lost)
  SlowDown,      // answer 503 with S3's SlowDown error document, without forwarding
  Stall,         // accept the request and send nothing until the client gives up
  Truncate,      // forward, then send the response head and only half of its body, and close
  Hook,          // call the rule's `hook` first, then forward the request unchanged: a hook that
                 // overwrites the object makes a race with another writer happen at that request
};

struct FaultRule {
  Fault fault = Fault::Drop;
  std::string method;  // "GET", "PUT", ...; empty: any
  std::string match;   // a substring of the request target ("partNumber=2", "?uploads"); empty: any
  int count = 1;       // how many matching requests get the fault; -1: all of them, for ever
  std::function<void()> hook{};  // Fault::Hook: runs on the proxy's thread for that connection
                                 // (requests on other connections go on meanwhile); must not throw
};

class FaultProxy {
 public:
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();  // stops accepting, closes every connection, joins every thread
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void add(FaultRule rule);
  void clear();
  int faults_injected() const { return injected_; }
  int requests_seen() const { return requests_; }
  // Requests with this method ("GET", "HEAD", ...) seen so far.
  int requests_seen(const std::string& method) const;

 private:
  void accept_loop();
  void serve(int client);
  bool pick_fault(const std::string& method, const std::string& target, Fault& fault, std::function<void()>& hook);

  int upstream_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> injected_{0};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::vector<FaultRule> rules_;
  std::map<std::string, int> methods_;  // requests seen per method
  std::vector<int> clients_;          // open client sockets, shut down on stop
  std::vector<std::thread> threads_;  // one per client connection
  std::thread acceptor_;
};

}  // namespace ronde::testing
