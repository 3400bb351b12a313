// The ceiling of ps_bench: a bare gRPC client->server and server->client stream of the same bytes a
// push and a pull move, in the same chunk size, over the same kind of channel (ronde's own
// credentials code, the same message-size limits), with nothing done to the bytes on the server.
//
//   ps_bench --raw-server --listen 127.0.0.1:0 --port-file F [--tls off|server|mutual --cert C
//            --key K --ca A]       (ps_bench starts itself this way, one process per "server")
//   RawClient raw(address, tls, token, 1 << 20);
//   raw.upload(bytes);             // one client stream of bytes.size() bytes
//   raw.download(out);             // one server stream of out.size() bytes, copied into out
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "ronde/ps/security.h"

namespace ronde::bench::ps {

// ps_bench's --raw-server mode: serves RawStream until SIGTERM or SIGINT; returns the exit code.
// `args` are the arguments after --raw-server.
int run_raw_server(int argc, char** argv);

class RawClient {
 public:
  RawClient(const std::string& address, const ronde::ps::TlsConfig& tls, const std::string& token,
            std::size_t chunk_bytes);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Each throws std::runtime_error naming the server when the call fails or moves other than the
  // requested number of bytes.
  void upload(std::span<const std::byte> data);
  void download(std::span<std::byte> out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ronde::bench::ps
