// Linked into the test programs of the checkpoint layer's network clients (the credential chain,
// the S3 backend, the spot-notice poller) by ronde_test_stays_on_loopback()
// (cmake/RondeTestEnvironment.cmake): this process's connect() to an address that is not
// loopback aborts it with a message naming the address, before any packet is sent. The tests'
// servers, proxies and fake endpoints listen on 127.0.0.1; a connection anywhere else (an instance
// metadata address, a default endpoint a test did not override) is a bug in the test, and would
// otherwise pass or fail with whatever answers on the network.
//
// The definition interposes on the C library's connect() for the whole process, libcurl's calls
// included (the program exports it: -Wl,--export-dynamic-symbol=connect).
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool loopback(const sockaddr* address, socklen_t length) {
  if (address == nullptr) return true;  // the C library reports the error
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return address->sa_family != AF_INET && address->sa_family != AF_INET6;  // AF_UNIX, AF_UNSPEC, ...
}

[[noreturn]] void refuse(const sockaddr* address) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
  } else {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
    port = ntohs(v6->sin6_port);
  }
  char message[256];
  const int size = std::snprintf(message, sizeof(message),
                                 "\nloopback_only: this test tried to connect to %s port %u, which is not loopback; "
                                 "tests must not leave 127.0.0.1 (tests/support/loopback_only.cc)\n",
                                 host, port);
  if (size > 0) (void)!::write(STDERR_FILENO, message, static_cast<std::size_t>(size));
  std::abort();
}

}  // namespace

extern "C" int connect(int fd, const sockaddr* address, socklen_t length) {
  using Connect = int (*)(int, const sockaddr*, socklen_t);
  static const Connect next = reinterpret_cast<Connect>(dlsym(RTLD_NEXT, "connect"));
  if (!loopback(address, length)) refuse(address);
  if (next == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return next(fd, address, length);
}
