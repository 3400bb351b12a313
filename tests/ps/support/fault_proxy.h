// A TCP proxy on loopback that cuts the connections it forwards at random moments, for tests of
// retries and exactly-once delivery: a cut in the middle of a reply loses an acknowledgement of a
// call the server completed, so the client must retry it and the server must deduplicate it.
//
//   FaultProxy proxy({.target = server.address(), .seed = 7});
//   ClientOptions options{.servers = {proxy.address()}, ...};   // the client talks through it
//   ...
//   proxy.set_faults(false);                                     // let the test finish cleanly
//   EXPECT_GT(proxy.cuts(), 0);
//
// Each accepted connection gets its own upstream connection to `target` and its own thread. It is
// cut (both sockets closed) when its random lifetime ends, or, with probability
// reply_cut_probability, when a block of bytes arrives from the server: that block is dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ronde::ps::testing {

class FaultProxy {
 public:
  struct Options {
    std::string target;                             // "127.0.0.1:PORT" of the server
    std::uint64_t seed = 1;
    bool faults = true;                             // cut connections (false: forward faithfully)
    std::chrono::milliseconds min_lifetime{30};     // a connection lives a uniform random time
    std::chrono::milliseconds max_lifetime{300};    // in [min, max], then is cut
    double reply_cut_probability = 0.02;            // per block read from the server
  };

  explicit FaultProxy(Options options);  // listening on 127.0.0.1 once this returns
  ~FaultProxy();                         // closes everything and joins every thread
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string address() const;  // "127.0.0.1:<port>"
  void set_faults(bool on) { faults_.store(on); }
  int cuts() const { return cuts_.load(); }
  int connections() const { return connections_.load(); }
  // Bytes each accepted connection has forwarded from its client to the server, in accept order.
  std::vector<std::uint64_t> bytes_from_clients() const;

 private:
  void accept_loop();
  void pump(int client, std::uint64_t seed, std::size_t index);
  void count_from_client(std::size_t index, std::uint64_t bytes);

  Options options_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> faults_;
  std::atomic<int> cuts_{0};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::thread> pumps_;
  std::vector<std::uint64_t> bytes_from_clients_;  // by accept order; guarded by mutex_
  std::thread acceptor_;
};

}  // namespace ronde::ps::testing
