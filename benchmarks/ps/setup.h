// One configuration of ps_bench: a server count and a security mode. Starts that many
// ronde-ps-server processes and raw servers (ps_bench --raw-server), on loopback or on the hosts
// of SetupOptions::server_hosts, and connects a
// ronde::ps::Client to the former and one RawClient per raw server to the latter, with the same
// credentials (the test certificates and token of tests/support/make_test_certs.sh).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ps/child_process.h"
#include "ps/raw_stream.h"
#include "ronde/ps/client.h"

namespace ronde::bench::ps {

// plain / tls / mtls, in this order everywhere (tables, CSV).
struct Security {
  std::string name;
  ronde::ps::TlsMode mode;
};
const std::vector<Security>& security_modes();

struct SetupOptions {
  int servers = 1;
  Security security;
  bool ronde = true;  // start ronde-ps-servers and a Client
  bool grpc = true;   // start raw servers and RawClients
  std::string mode = "async";
  std::string optimizer = "sum";
  std::size_t partition_bytes = 2 << 20;
  std::size_t chunk_bytes = 4 << 20;
  int connections = ronde::ps::ClientOptions{}.connections;  // the Client's TCP connections per server
  std::string certs;         // make_test_certs.sh's directory
  std::string work;          // where server logs go
  std::string self;          // this program, for --raw-server
  std::string server_binary; // ronde-ps-server
  // Server i (ronde's and the raw one alike) runs on server_hosts[i % size] through `launcher`,
  // whose words have "{host}" replaced by the host; empty: every server on loopback here.
  std::vector<std::string> server_hosts;
  std::vector<std::string> launcher;
};

class Setup {
 public:
  explicit Setup(const SetupOptions& options);  // throws std::runtime_error or ronde::Error

  ronde::ps::Client& client() { return *client_; }
  // The ceiling: `data` split evenly (whole 4-byte elements) over the raw servers, uploaded to all
  // at once; then `out`, split the same way, downloaded from all at once.
  void raw_upload(std::span<const std::byte> data);
  void raw_download(std::span<std::byte> out);
  // The tails of the ronde servers' logs (for error reports).
  std::string logs() const;

 private:
  template <class Work>
  void run_on_each(Work work);
  std::pair<std::size_t, std::size_t> piece(std::size_t bytes, int server) const;

  int servers_;
  std::vector<std::unique_ptr<ChildProcess>> ps_servers_;
  std::vector<std::unique_ptr<ChildProcess>> raw_servers_;
  std::unique_ptr<ronde::ps::Client> client_;
  std::vector<std::unique_ptr<RawClient>> raw_clients_;
};

}  // namespace ronde::bench::ps
