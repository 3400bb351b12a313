// Checks of ClientOptions shared by the client's parts (ClientOptions::from_env is in options.cc too).
#pragma once

#include "ronde/ps/client.h"

namespace ronde::ps::client {

// Most TCP connections a client opens to one server (ClientOptions::connections).
inline constexpr int kMaxConnections = 64;

// Error(InvalidArgument) naming the first unusable option: no servers, worker >= workers, a chunk
// size above wire::kMaxChunkBytes, non-positive timeouts or threads, connections outside
// 1..kMaxConnections, backoff bounds out of order.
void validate(const ClientOptions& options);

}  // namespace ronde::ps::client
