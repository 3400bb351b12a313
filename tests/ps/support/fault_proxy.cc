#include "ps/support/fault_proxy.h"

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

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int port_of(const std::string& target) {
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("FaultProxy: target '" + target + "' has no port");
  return std::stoi(target.substr(colon + 1));
}

// Writes all of `bytes`; false when the peer is gone.
bool write_all(int fd, const char* data, std::size_t bytes) {
  while (bytes > 0) {
    const ssize_t written = ::send(fd, data, bytes, MSG_NOSIGNAL);
    if (written <= 0) return false;
    data += written;
    bytes -= static_cast<std::size_t>(written);
  }
  return true;
}

void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

FaultProxy::FaultProxy(Options options) : options_(std::move(options)), faults_(options_.faults) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener_ < 0) throw std::runtime_error("FaultProxy: socket failed");
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = loopback(0);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 64) != 0) {
    ::close(listener_);
    throw std::runtime_error("FaultProxy: cannot listen on 127.0.0.1");
  }
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
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
    pumps_.emplace_back([this, client, seed] { pump(client, seed); });
  }
}

void FaultProxy::pump(int client, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  const int server = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in target = loopback(port_of(options_.target));
  if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
    if (server >= 0) ::close(server);
    ::close(client);
    return;
  }
  no_delay(client);
  no_delay(server);
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
      if (!write_all(side == 0 ? server : client, buffer.data(), static_cast<std::size_t>(got))) closed = true;
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
