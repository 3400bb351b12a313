#include "ps/tls/tls_fixture.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "ronde/core/tensor.h"

#ifndef RONDE_PS_MAKE_CERTS
#error "RONDE_PS_MAKE_CERTS must name tests/support/make_test_certs.sh"
#endif
#ifndef RONDE_PS_TEST_CERTS_DIR
#error "RONDE_PS_TEST_CERTS_DIR must name where the test certificates go"
#endif

namespace ronde::ps::testing {

const std::string& test_certs() {
  static const std::string dir = [] {
    // The script is idempotent and safe when several test processes run it at once.
    const std::string command = std::string("'") + RONDE_PS_MAKE_CERTS + "' '" + RONDE_PS_TEST_CERTS_DIR + "'";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("making test certificates failed: " + command);
    return std::string(RONDE_PS_TEST_CERTS_DIR);
  }();
  return dir;
}

std::string cert_path(const std::string& name) { return test_certs() + "/" + name; }
std::string token() { return read_token_file(cert_path("token")); }
std::string wrong_token() { return read_token_file(cert_path("wrong-token")); }

std::vector<std::string> server_arguments(TlsMode mode, bool with_token) {
  std::vector<std::string> arguments = {"--shard", "0", "--shards", "1", "--workers", "1",
                                        "--mode", "async", "--optimizer", "sum",
                                        "--tls", std::string(to_string(mode))};
  if (mode != TlsMode::Off) {
    arguments.insert(arguments.end(), {"--cert", cert_path("server.pem"), "--key", cert_path("server.key")});
  }
  if (mode == TlsMode::Mutual) arguments.insert(arguments.end(), {"--ca", cert_path("ca.pem")});
  if (with_token) arguments.insert(arguments.end(), {"--token-file", cert_path("token")});
  return arguments;
}

TlsConfig trusting_client() { return TlsConfig::server_only(cert_path("ca.pem")); }

TlsConfig mutual_client() {
  return TlsConfig::mutual(cert_path("ca.pem"), cert_path("client.pem"), cert_path("client.key"));
}

ClientOptions client_options(const std::string& address, TlsConfig tls, std::string token) {
  ClientOptions options;
  options.servers = {address};
  options.worker = 0;
  options.workers = 1;
  options.tls = std::move(tls);
  options.token = std::move(token);
  options.call_timeout = std::chrono::seconds(10);
  options.wait_timeout = std::chrono::seconds(10);
  options.retry_budget = std::chrono::milliseconds(1500);
  options.initial_backoff = std::chrono::milliseconds(20);
  options.max_backoff = std::chrono::milliseconds(200);
  options.threads = 2;
  return options;
}

std::optional<Error> attempt(const ClientOptions& options) {
  // A fresh tensor name per attempt: attempts against one server never see each other's pushes.
  static std::atomic<int> attempts{0};
  std::string name = "w";  // (built in two steps: GCC 12 warns falsely about "w" + to_string)
  name += std::to_string(attempts++);
  try {
    Client client(options);
    std::vector<float> values = {1, 2, 3, 4, 5, 6};
    client.declare(name, Tensor::of(values)).get();
    std::vector<float> ones(6, 1.0f);
    std::vector<float> pulled(6, 0.0f);
    client.push(name, Tensor::of(ones)).get();
    client.pull(name, Tensor::of(pulled)).get();
    for (std::size_t i = 0; i < pulled.size(); ++i) {
      EXPECT_EQ(pulled[i], static_cast<float>(i + 2)) << name << " element " << i;
    }
    EXPECT_EQ(client.step(name), 1);
  } catch (const Error& error) {
    return error;
  }
  return std::nullopt;
}

std::string describe(const std::optional<Error>& error) {
  return error ? std::string(error->what()) : std::string("no error");
}

}  // namespace ronde::ps::testing
