#include "tls_proxy.h"

#include "support/loopback.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>

namespace ronde::testing {
namespace {

// Moves bytes both ways until either side closes: decrypted client bytes to the upstream socket,
// upstream bytes encrypted back to the client.
void pump(SSL* ssl, int client, int upstream) {
  char buffer[64 * 1024];
  for (;;) {
    if (SSL_pending(ssl) == 0) {
      pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
      if (poll(fds, 2, 30'000) <= 0) return;
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = recv(upstream, buffer, sizeof(buffer), 0);
        if (n <= 0) return;
        if (SSL_write(ssl, buffer, static_cast<int>(n)) <= 0) return;
      }
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    }
    const int n = SSL_read(ssl, buffer, sizeof(buffer));
    if (n <= 0) return;
    if (!send_all(upstream, buffer, static_cast<std::size_t>(n))) return;
  }
}

}  // namespace

TlsProxy::TlsProxy(int upstream_port, const std::string& cert_file, const std::string& key_file)
    : upstream_port_(upstream_port) {
  context_ = SSL_CTX_new(TLS_server_method());
  if (context_ == nullptr || SSL_CTX_use_certificate_chain_file(context_, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context_, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (context_ != nullptr) SSL_CTX_free(context_);
    throw std::runtime_error("TlsProxy: cannot load " + cert_file + " / " + key_file);
  }
  try {
    listener_ = listen_loopback(port_);
  } catch (const std::exception&) {
    SSL_CTX_free(context_);
    throw;
  }
  acceptor_ = std::thread([this] { accept_loop(); });
}

TlsProxy::~TlsProxy() {
  stopping_ = true;
  shutdown(listener_, SHUT_RDWR);
  close(listener_);
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& thread : threads_) thread.join();
  SSL_CTX_free(context_);
}

void TlsProxy::accept_loop() {
  while (!stopping_) {
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) {
      if (stopping_) return;
      continue;
    }
    std::lock_guard lock(mutex_);
    sockets_.push_back(client);
    threads_.emplace_back([this, client] { serve(client); });
  }
}

void TlsProxy::serve(int client) {
  int upstream = -1;
  SSL* ssl = SSL_new(context_);
  SSL_set_fd(ssl, client);
  if (SSL_accept(ssl) != 1) {
    ++failed_;
    ERR_clear_error();
  } else {
    ++completed_;
    upstream = connect_loopback(upstream_port_);
    if (upstream >= 0) {
      {
        std::lock_guard lock(mutex_);
        sockets_.push_back(upstream);
      }
      pump(ssl, client, upstream);
      SSL_shutdown(ssl);
    }
  }
  SSL_free(ssl);
  // Closed here, once; the destructor only shuts down what is still open.
  std::lock_guard lock(mutex_);
  for (int fd : {client, upstream}) {
    if (fd < 0) continue;
    std::erase(sockets_, fd);
    close(fd);
  }
}

}  // namespace ronde::testing
