// TCP on 127.0.0.1 for the tests' own servers and proxies.
#pragma once

#include <cstddef>

namespace ronde::testing {

// A listening socket on 127.0.0.1 and an ephemeral port (set into `port`); std::runtime_error if
// that fails.
int listen_loopback(int& port, int backlog = 64);
// A socket connected to 127.0.0.1:`port` (TCP_NODELAY set), or -1 when the connection fails.
int connect_loopback(int port);
// Sends all `size` bytes; false when the peer is gone (never raises SIGPIPE).
bool send_all(int fd, const void* data, std::size_t size);

}  // namespace ronde::testing
