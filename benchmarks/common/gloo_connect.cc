#include "gloo_connect.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <mpi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/store.h>
#include <gloo/transport/tcp/device.h>

namespace ronde::bench {

namespace {

std::string to_text(const in_addr& address) {
  std::array<char, INET_ADDRSTRLEN> text{};
  ::inet_ntop(AF_INET, &address, text.data(), text.size());
  return text.data();
}

// Every (interface name, IPv4 address) of this host.
std::vector<std::pair<std::string, in_addr>> ipv4_interfaces() {
  std::vector<std::pair<std::string, in_addr>> found;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return found;
  for (ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    found.emplace_back(entry->ifa_name, reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr);
  }
  ::freeifaddrs(list);
  return found;
}

std::optional<std::string> address_of_interface(const std::string& name) {
  for (const auto& [interface, address] : ipv4_interfaces()) {
    if (interface == name) return to_text(address);
  }
  return std::nullopt;
}

// The first local address inside "A.B.C.D/N".
std::optional<std::string> address_in_subnet(const std::string& cidr) {
  const auto slash = cidr.find('/');
  in_addr network{};
  if (slash == std::string::npos || ::inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &network) != 1) return std::nullopt;
  const int bits = std::atoi(cidr.c_str() + slash + 1);
  if (bits < 0 || bits > 32) return std::nullopt;
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  for (const auto& [interface, address] : ipv4_interfaces()) {
    if ((ntohl(address.s_addr) & mask) == (ntohl(network.s_addr) & mask)) return to_text(address);
  }
  return std::nullopt;
}

// The address this host's name resolves to, unless it is a loopback address.
std::optional<std::string> address_of_host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return std::nullopt;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* result = nullptr;
  if (::getaddrinfo(name.data(), nullptr, &hints, &result) != 0) return std::nullopt;
  std::optional<std::string> address;
  for (addrinfo* entry = result; entry != nullptr && !address; entry = entry->ai_next) {
    const in_addr ip = reinterpret_cast<const sockaddr_in*>(entry->ai_addr)->sin_addr;
    if ((ntohl(ip.s_addr) >> 24) != 127) address = to_text(ip);
  }
  ::freeaddrinfo(result);
  return address;
}

// A Gloo rendezvous store over MPI. Gloo's connectFullMesh has every rank set() its own keys (its
// host name, its pairs' addresses) in the same order, then wait()/get() the other ranks' keys. Here
// each set() is where the ranks meet: an MPI allgather of every rank's (key, value), after which
// wait() and get() read what arrived. So every rank must call set() the same number of times in
// the same order, as connectFullMesh does; a key nobody set is an error, not a wait.
class MpiExchangeStore final : public gloo::rendezvous::Store {
 public:
  void set(const std::string& key, const std::vector<char>& data) override {
    std::vector<char> record(key.begin(), key.end());
    record.push_back('\0');
    record.insert(record.end(), data.begin(), data.end());
    int size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int length = static_cast<int>(record.size());
    std::vector<int> lengths(static_cast<std::size_t>(size)), offsets(static_cast<std::size_t>(size));
    MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
    int total = 0;
    for (int r = 0; r < size; ++r) offsets[static_cast<std::size_t>(r)] = total, total += lengths[static_cast<std::size_t>(r)];
    std::vector<char> all(static_cast<std::size_t>(total));
    MPI_Allgatherv(record.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, MPI_COMM_WORLD);
    for (int r = 0; r < size; ++r) {
      const char* begin = all.data() + offsets[static_cast<std::size_t>(r)];
      const std::string name(begin);
      const char* value = begin + name.size() + 1;
      values_[name].assign(value, begin + lengths[static_cast<std::size_t>(r)]);
    }
  }

  std::vector<char> get(const std::string& key) override {
    const auto found = values_.find(key);
    if (found == values_.end()) throw std::runtime_error("gloo rendezvous over MPI: no rank set '" + key + "'");
    return found->second;
  }

  void wait(const std::vector<std::string>& keys) override {
    for (const std::string& key : keys) get(key);  // everything arrived in set(); a missing key throws
  }
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds&) override { wait(keys); }

 private:
  std::map<std::string, std::vector<char>> values_;
};

}  // namespace

GlooAddress choose_gloo_address() {
  if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name != nullptr && *name != '\0') {
    if (auto address = address_of_interface(name)) return {*address, std::string("GLOO_SOCKET_IFNAME=") + name};
    throw std::runtime_error(std::string("GLOO_SOCKET_IFNAME=") + name + ": no such interface with an IPv4 address");
  }
  if (const char* include = std::getenv("OMPI_MCA_btl_tcp_if_include"); include != nullptr && *include != '\0') {
    // A comma-separated list of interface names or subnets: the first that matches here.
    std::stringstream list(include);
    for (std::string item; std::getline(list, item, ',');) {
      const auto address = item.find('/') != std::string::npos ? address_in_subnet(item) : address_of_interface(item);
      if (address) return {*address, "Open MPI's btl_tcp_if_include=" + item};
    }
  }
  if (auto address = address_of_host_name()) return {*address, "the address of this host's name"};
  return {"127.0.0.1", "loopback (one host)"};
}

std::shared_ptr<gloo::Context> connect_gloo(int rank, int size, const char* program) {
  const GlooAddress chosen = choose_gloo_address();
  if (rank == 0) std::fprintf(stderr, "%s: gloo listens on %s (%s)\n", program, chosen.address.c_str(), chosen.reason.c_str());
  gloo::transport::tcp::attr attr;
  attr.hostname = chosen.address;
  attr.ai_family = AF_INET;
  auto device = gloo::transport::tcp::CreateDevice(attr);
  auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
  context->setTimeout(std::chrono::minutes(5));
  MpiExchangeStore store;
  context->connectFullMesh(store, device);
  return context;
}

}  // namespace ronde::bench
