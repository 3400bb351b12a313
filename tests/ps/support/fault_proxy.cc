#include "ps/support/fault_proxy.h"

#include "support/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <stdexcept>

namespace ronde::ps::testing {
namespace {

int port_of(const std::string& target) {
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("FaultProxy: target '" + target + "' has no port");
  return std::stoi(target.substr(colon + 1));
}

}  // namespace

FaultProxy::FaultProxy(Options options) : options_(std::move(options)), faults_(options_.faults) {
  listener_ = ronde::testing::listen_loopback(port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stopping_.store(true);
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  std::lock_guard lock(mutex_);
  for (auto& pump : pumps_) pump.join();
}

std::string FaultProxy::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::vector<std::uint64_t> FaultProxy::bytes_from_clients() const {
  std::lock_guard lock(mutex_);
  return bytes_from_clients_;
}

void FaultProxy::count_from_client(std::size_t index, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  bytes_from_clients_[index] += bytes;
}

void FaultProxy::accept_loop() {
  std::uint64_t connection = 0;
  while (!stopping_.load()) {
    pollfd waiting{listener_, POLLIN, 0};
    if (::poll(&waiting, 1, 50) <= 0) continue;
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    connections_.fetch_add(1);
    const std::uint64_t seed = options_.seed * 1000003 + connection++;
    std::lock_guard lock(mutex_);
    const std::size_t index = bytes_from_clients_.size();
    bytes_from_clients_.push_back(0);
    pumps_.emplace_back([this, client, seed, index] { pump(client, seed, index); });
  }
}

void FaultProxy::pump(int client, std::uint64_t seed, std::size_t index) {
  std::mt19937_64 random(seed);
  const int server = ronde::testing::connect_loopback(port_of(options_.target));
  if (server < 0) {
    ::close(client);
    return;
  }
  const int one = 1;
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::uniform_int_distribution<std::int64_t> lifetime(options_.min_lifetime.count(), options_.max_lifetime.count());
  std::bernoulli_distribution cut_reply(options_.reply_cut_probability);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(lifetime(random));
  std::vector<char> buffer(256 * 1024);
  bool cut = false;
  while (!stopping_.load()) {
    if (faults_.load() && std::chrono::steady_clock::now() >= deadline) {
      cut = true;
      break;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, 10) <= 0) continue;
    bool closed = false;
    for (int side = 0; side < 2 && !closed; ++side) {
      if ((fds[side].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::recv(fds[side].fd, buffer.data(), buffer.size(), 0);
      if (got <= 0) {
        closed = true;
        break;
      }
      if (side == 1 && faults_.load() && cut_reply(random)) {  // drop a block of the server's reply
        cut = true;
        closed = true;
        break;
      }
      if (side == 0) count_from_client(index, static_cast<std::uint64_t>(got));
      if (!ronde::testing::send_all(side == 0 ? server : client, buffer.data(), static_cast<std::size_t>(got))) closed = true;
    }
    if (closed) break;
  }
  if (cut) cuts_.fetch_add(1);
  // An abortive close (RST) on both sides, as a crashed peer or a broken network would leave it.
  linger abort{1, 0};
  ::setsockopt(client, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::setsockopt(server, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(client);
  ::close(server);
}

}  // namespace ronde::ps::testing
