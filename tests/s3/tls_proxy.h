// A TLS-terminating TCP proxy on 127.0.0.1 for tests: clients speak HTTPS to it, it speaks plain
// HTTP to a local server (moto_server), so the S3 backend's real TLS path — certificate
// verification against a CA bundle included — can be tested against a server that has no TLS.
//
//   TlsProxy proxy(moto->port(), certs / "server.pem", certs / "server.key");
//   open_s3_storage("s3://bucket?endpoint=" + proxy.endpoint(), {.ca_bundle = certs / "ca.pem"});
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace ronde::testing {

class TlsProxy {
 public:
  // Throws std::runtime_error when the certificate or key cannot be loaded or nothing can listen.
  TlsProxy(int upstream_port, const std::string& cert_file, const std::string& key_file);
  ~TlsProxy();  // stops accepting, closes every connection, joins every thread
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(port_); }
  int handshakes_completed() const { return completed_; }
  int handshakes_failed() const { return failed_; }

 private:
  void accept_loop();
  void serve(int client);

  int upstream_port_;
  SSL_CTX* context_ = nullptr;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> completed_{0};
  std::atomic<int> failed_{0};
  std::mutex mutex_;
  std::vector<int> sockets_;          // open sockets, shut down on stop
  std::vector<std::thread> threads_;  // one per client connection
  std::thread acceptor_;
};

}  // namespace ronde::testing
