// TLS, mutual TLS and bearer tokens end to end: a real ronde-ps-server per test, and
// ronde::ps::Client with each right and each wrong set of credentials. A refusal must be a clear
// ronde::Error (naming the server) that arrives within the client's deadlines and retry budget,
// and the server must go on serving the right client afterwards.
//
// How refusals surface (gRPC 1.51, checked on loopback): a token the server refuses is
// UNAUTHENTICATED from the handler -> Error(Unauthenticated). A handshake the CLIENT refuses (it
// does not trust the server's certificate, or speaks TLS to a plaintext server) fails with "Ssl
// handshake failed" -> Error(Unauthenticated) per client.h. A handshake the SERVER refuses (no or a
// foreign client certificate under mutual TLS, a plaintext client) only shows the client a closed
// socket, which looks like a server going away: UNAVAILABLE, retried for the retry budget, so the
// client may report Unavailable as well as Unauthenticated there; both are accepted.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "ps/support/server_process.h"
#include "ps/tls/tls_fixture.h"

namespace ronde::ps::testing {
namespace {

const std::set<ErrorCode> kAuthOnly = {ErrorCode::Unauthenticated};
const std::set<ErrorCode> kAuthOrUnavailable = {ErrorCode::Unauthenticated, ErrorCode::Unavailable};

class PsTlsTest : public ::testing::Test {
 protected:
  void start(TlsMode mode, bool with_token = true) {
    server_ = std::make_unique<ServerProcess>(server_arguments(mode, with_token));
    server_->start();
  }
  std::string address() const { return server_->address(); }

  void expect_accepted(const ClientOptions& options) {
    const auto error = attempt(options);
    EXPECT_FALSE(error.has_value()) << describe(error) << "\nserver log:\n" << server_->log_tail();
  }

  // The attempt fails with one of `codes`, the message names the server (and contains `mention`
  // when given), and the right client is still served afterwards.
  void expect_refused(const ClientOptions& options, const std::set<ErrorCode>& codes, const ClientOptions& right,
                      const std::string& mention = "") {
    const auto error = attempt(options);
    ASSERT_TRUE(error.has_value()) << "the server accepted a client it should refuse";
    std::printf("refused as %s\n", describe(error).c_str());
    EXPECT_TRUE(codes.count(error->code())) << describe(error);
    EXPECT_NE(error->message().find(address()), std::string::npos) << "the error does not name the server: "
                                                                   << describe(error);
    if (!mention.empty()) {
      EXPECT_NE(error->message().find(mention), std::string::npos) << describe(error);
    }
    // Never echo a token back.
    EXPECT_EQ(error->message().find(token()), std::string::npos) << describe(error);
    EXPECT_EQ(error->message().find(wrong_token()), std::string::npos) << describe(error);
    ASSERT_TRUE(server_->running());
    expect_accepted(right);
  }

  std::unique_ptr<ServerProcess> server_;
};

// ---- --tls=server with a token -------------------------------------------------------------------

TEST_F(PsTlsTest, ServerTlsAcceptsTheRightClient) {
  start(TlsMode::Server);
  expect_accepted(client_options(address(), trusting_client(), token()));
}

TEST_F(PsTlsTest, ServerTlsAcceptsAMutualClientToo) {  // a certificate nobody asked for is harmless
  start(TlsMode::Server);
  expect_accepted(client_options(address(), mutual_client(), token()));
}

TEST_F(PsTlsTest, ServerTlsRefusesAPlaintextClient) {
  start(TlsMode::Server);
  expect_refused(client_options(address(), TlsConfig::off(), token()), kAuthOrUnavailable,
                 client_options(address(), trusting_client(), token()));
}

TEST_F(PsTlsTest, ServerTlsRefusedByAClientThatDoesNotTrustItsCa) {
  start(TlsMode::Server);
  expect_refused(client_options(address(), TlsConfig::server_only(cert_path("other-ca.pem")), token()), kAuthOnly,
                 client_options(address(), trusting_client(), token()));
}

TEST_F(PsTlsTest, ServerTlsRefusesAWrongToken) {
  start(TlsMode::Server);
  expect_refused(client_options(address(), trusting_client(), wrong_token()), kAuthOnly,
                 client_options(address(), trusting_client(), token()), "token");
}

TEST_F(PsTlsTest, ServerTlsRefusesAMissingToken) {
  start(TlsMode::Server);
  expect_refused(client_options(address(), trusting_client(), ""), kAuthOnly,
                 client_options(address(), trusting_client(), token()), "token");
}

TEST_F(PsTlsTest, ServerTlsChecksTheNameInTheCertificate) {
  start(TlsMode::Server);
  TlsConfig by_name = trusting_client();
  by_name.target_name_override = "localhost";  // the certificate names localhost too
  expect_accepted(client_options(address(), by_name, token()));
  TlsConfig wrong_name = trusting_client();
  wrong_name.target_name_override = "elsewhere.invalid";
  expect_refused(client_options(address(), wrong_name, token()), kAuthOnly,
                 client_options(address(), trusting_client(), token()));
}

// ---- --tls=mutual with a token -------------------------------------------------------------------

TEST_F(PsTlsTest, MutualTlsAcceptsTheRightClient) {
  start(TlsMode::Mutual);
  expect_accepted(client_options(address(), mutual_client(), token()));
}

TEST_F(PsTlsTest, MutualTlsRefusesAClientWithoutACertificate) {
  start(TlsMode::Mutual);
  expect_refused(client_options(address(), trusting_client(), token()), kAuthOrUnavailable,
                 client_options(address(), mutual_client(), token()));
}

TEST_F(PsTlsTest, MutualTlsRefusesACertificateFromAnotherCa) {
  start(TlsMode::Mutual);
  const TlsConfig stranger =
      TlsConfig::mutual(cert_path("ca.pem"), cert_path("other-client.pem"), cert_path("other-client.key"));
  expect_refused(client_options(address(), stranger, token()), kAuthOrUnavailable,
                 client_options(address(), mutual_client(), token()));
}

TEST_F(PsTlsTest, MutualTlsRefusesAPlaintextClient) {
  start(TlsMode::Mutual);
  expect_refused(client_options(address(), TlsConfig::off(), token()), kAuthOrUnavailable,
                 client_options(address(), mutual_client(), token()));
}

TEST_F(PsTlsTest, MutualTlsRefusedByAClientThatDoesNotTrustItsCa) {
  start(TlsMode::Mutual);
  const TlsConfig distrustful =
      TlsConfig::mutual(cert_path("other-ca.pem"), cert_path("client.pem"), cert_path("client.key"));
  expect_refused(client_options(address(), distrustful, token()), kAuthOnly,
                 client_options(address(), mutual_client(), token()));
}

TEST_F(PsTlsTest, MutualTlsRefusesAWrongToken) {
  start(TlsMode::Mutual);
  expect_refused(client_options(address(), mutual_client(), wrong_token()), kAuthOnly,
                 client_options(address(), mutual_client(), token()), "token");
}

TEST_F(PsTlsTest, MutualTlsRefusesAMissingToken) {
  start(TlsMode::Mutual);
  expect_refused(client_options(address(), mutual_client(), ""), kAuthOnly,
                 client_options(address(), mutual_client(), token()), "token");
}

// ---- --tls=off: the token travels as plain metadata and is checked in the handlers -----------

TEST_F(PsTlsTest, PlaintextAcceptsTheRightToken) {
  start(TlsMode::Off);
  expect_accepted(client_options(address(), TlsConfig::off(), token()));
}

TEST_F(PsTlsTest, PlaintextRefusesAWrongToken) {
  start(TlsMode::Off);
  expect_refused(client_options(address(), TlsConfig::off(), wrong_token()), kAuthOnly,
                 client_options(address(), TlsConfig::off(), token()), "token");
}

TEST_F(PsTlsTest, PlaintextRefusesAMissingToken) {
  start(TlsMode::Off);
  expect_refused(client_options(address(), TlsConfig::off(), ""), kAuthOnly,
                 client_options(address(), TlsConfig::off(), token()), "token");
}

TEST_F(PsTlsTest, PlaintextServerRefusesATlsClient) {
  start(TlsMode::Off);
  expect_refused(client_options(address(), trusting_client(), token()), kAuthOnly,
                 client_options(address(), TlsConfig::off(), token()));
}

TEST_F(PsTlsTest, PlaintextWithoutATokenAcceptsAnyClient) {
  start(TlsMode::Off, /*with_token=*/false);
  expect_accepted(client_options(address(), TlsConfig::off(), ""));
  expect_accepted(client_options(address(), TlsConfig::off(), token()));  // a token nobody checks
}

// ---- files that cannot serve ---------------------------------------------------------------------

TEST_F(PsTlsTest, ClientWithAMissingCaFileFailsNamingIt) {
  start(TlsMode::Server);
  const std::string missing = test_certs() + "/no-such-ca.pem";
  const auto error = attempt(client_options(address(), TlsConfig::server_only(missing), token()));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), ErrorCode::InvalidArgument) << describe(error);
  EXPECT_NE(error->message().find(missing), std::string::npos) << describe(error);
}

TEST_F(PsTlsTest, ClientWithAKeyForItsCertificateFailsNamingIt) {
  start(TlsMode::Mutual);
  const TlsConfig swapped = TlsConfig::mutual(cert_path("ca.pem"), cert_path("client.key"), cert_path("client.key"));
  const auto error = attempt(client_options(address(), swapped, token()));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), ErrorCode::InvalidArgument) << describe(error);
  EXPECT_NE(error->message().find(cert_path("client.key")), std::string::npos) << describe(error);
}

// A server that cannot read its TLS files exits at start, its log naming the file.
void expect_server_fails_naming(std::vector<std::string> arguments, const std::string& file) {
  ServerProcess server(std::move(arguments));
  try {
    server.start();
    ADD_FAILURE() << "the server started without a usable " << file;
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(file), std::string::npos) << error.what();
  }
}

TEST(PsTlsFiles, ServerWithAMissingCertificateFailsNamingIt) {
  const std::string missing = test_certs() + "/no-such-server.pem";
  auto arguments = server_arguments(TlsMode::Server, true);
  for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
    if (arguments[i] == "--cert") arguments[i + 1] = missing;
  }
  expect_server_fails_naming(arguments, missing);
}

TEST(PsTlsFiles, ServerWithAGarbageKeyFailsNamingIt) {
  const std::string garbage = test_certs() + "/token";  // a file, but no PEM in it
  auto arguments = server_arguments(TlsMode::Mutual, true);
  for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
    if (arguments[i] == "--key") arguments[i + 1] = garbage;
  }
  expect_server_fails_naming(arguments, garbage);
}

TEST(PsTlsFiles, ServerWithAMissingTokenFileFailsNamingIt) {
  const std::string missing = test_certs() + "/no-such-token";
  auto arguments = server_arguments(TlsMode::Off, true);
  for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
    if (arguments[i] == "--token-file") arguments[i + 1] = missing;
  }
  expect_server_fails_naming(arguments, missing);
}

}  // namespace
}  // namespace ronde::ps::testing
