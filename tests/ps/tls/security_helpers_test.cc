// The security helpers on their own (no server): TLS mode names, token files, loopback addresses,
// and credentials from missing, garbage or wrong-kind PEM files -> Error(InvalidArgument) naming
// the file.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "ps/tls/tls_fixture.h"
#include "ronde/core/error.h"
#include "ronde/ps/security.h"
#include "security/credentials.h"
#include "support/temp_dir.h"
#include "support/test_helpers.h"

namespace ronde::ps::testing {
namespace {

// A scratch directory removed at the end of each test.
class SecurityHelpers : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) { return scratch_.write(name, text); }
  ronde::testing::TempDir scratch_{"ps-security"};
  const std::string& dir_ = scratch_.path();
};

// Runs `call`, expecting Error(InvalidArgument) whose message contains `mention`.
void expect_invalid(const std::function<void()>& call, const std::string& mention) {
  const std::string message = ronde::testing::error_message(ErrorCode::InvalidArgument, call);
  EXPECT_NE(message.find(mention), std::string::npos) << message;
}

TEST_F(SecurityHelpers, TlsModesRoundTripAndUnknownOnesAreRefused) {
  for (const TlsMode mode : {TlsMode::Off, TlsMode::Server, TlsMode::Mutual}) {
    EXPECT_EQ(parse_tls_mode(to_string(mode)), mode);
  }
  EXPECT_EQ(to_string(TlsMode::Mutual), "mutual");
  expect_invalid([] { parse_tls_mode("on"); }, "'on'");
  expect_invalid([] { parse_tls_mode(""); }, "''");
  expect_invalid([] { parse_tls_mode("Mutual"); }, "off, server, mutual");
}

TEST_F(SecurityHelpers, TokenFilesAreTrimmed) {
  EXPECT_EQ(read_token_file(write("t1", "s3cret\n")), "s3cret");
  EXPECT_EQ(read_token_file(write("t2", "  \t s3cret \r\n\n")), "s3cret");
  EXPECT_EQ(read_token_file(cert_path("token")).size(), 64u);  // make_test_certs.sh: 32 random bytes in hex
}

TEST_F(SecurityHelpers, BadTokenFilesAreErrorsNamingTheFile) {
  const std::string missing = dir_ + "/absent";
  expect_invalid([&] { read_token_file(missing); }, missing);
  const std::string empty = write("empty", "");
  expect_invalid([&] { read_token_file(empty); }, empty);
  const std::string blank = write("blank", " \n\t\r\n");
  expect_invalid([&] { read_token_file(blank); }, blank);
  const std::string two_words = write("two-words", "abc def\n");
  expect_invalid([&] { read_token_file(two_words); }, two_words);
  const std::string two_lines = write("two-lines", "abc\ndef\n");
  expect_invalid([&] { read_token_file(two_lines); }, two_lines);
  const std::string non_ascii = write("non-ascii", "caf\xc3\xa9\n");
  expect_invalid([&] { read_token_file(non_ascii); }, non_ascii);
  expect_invalid([&] { read_token_file(dir_); }, dir_);  // a directory is no token file
}

TEST_F(SecurityHelpers, LoopbackAddresses) {
  for (const char* loopback : {"127.0.0.1:7070", "127.3.2.1:1", "localhost:7070", "LOCALHOST:1", "[::1]:7070",
                               "[::1]", "::1", "localhost", "127.0.0.1", "unix:/tmp/ps.sock",
                               "[::ffff:127.0.0.1]:7070"}) {
    EXPECT_TRUE(security::is_loopback_address(loopback)) << loopback;
  }
  for (const char* exposed : {"0.0.0.0:7070", "0.0.0.0:0", "[::]:7070", "10.0.0.5:7070", "ps-0.cluster:7070",
                              "128.0.0.1:7070", "localhost.example.com:1", "[2001:db8::1]:7070", ":7070"}) {
    EXPECT_FALSE(security::is_loopback_address(exposed)) << exposed;
  }
}

TEST_F(SecurityHelpers, PlaintextNeedsNoFiles) {
  grpc::ChannelArguments arguments;
  EXPECT_NE(security::server_credentials(TlsConfig::off()), nullptr);
  EXPECT_NE(security::channel_credentials(TlsConfig::off(), "token", arguments), nullptr);
}

TEST_F(SecurityHelpers, GoodFilesMakeCredentials) {
  grpc::ChannelArguments arguments;
  TlsConfig server{TlsMode::Mutual, cert_path("ca.pem"), cert_path("server.pem"), cert_path("server.key"), {}};
  EXPECT_NE(security::server_credentials(server), nullptr);
  EXPECT_NE(security::channel_credentials(mutual_client(), token(), arguments), nullptr);
  EXPECT_NE(security::channel_credentials(trusting_client(), "", arguments), nullptr);
}

TEST_F(SecurityHelpers, MissingPemFilesAreErrorsNamingThem) {
  const std::string missing = dir_ + "/missing.pem";
  grpc::ChannelArguments arguments;
  // Server side: each of its three files in turn.
  TlsConfig server{TlsMode::Mutual, cert_path("ca.pem"), cert_path("server.pem"), cert_path("server.key"), {}};
  for (std::string TlsConfig::*field : {&TlsConfig::ca_file, &TlsConfig::cert_file, &TlsConfig::key_file}) {
    TlsConfig broken = server;
    broken.*field = missing;
    expect_invalid([&] { security::server_credentials(broken); }, missing);
  }
  // Client side likewise.
  for (std::string TlsConfig::*field : {&TlsConfig::ca_file, &TlsConfig::cert_file, &TlsConfig::key_file}) {
    TlsConfig broken = mutual_client();
    broken.*field = missing;
    expect_invalid([&] { security::channel_credentials(broken, "", arguments); }, missing);
  }
  // An empty name says which file is missing.
  TlsConfig unnamed = trusting_client();
  unnamed.ca_file.clear();
  expect_invalid([&] { security::channel_credentials(unnamed, "", arguments); }, "server CA certificate");
}

TEST_F(SecurityHelpers, GarbageAndWrongKindPemFilesAreErrorsNamingThem) {
  const std::string garbage = write("garbage.pem", "this is not a certificate\n");
  const std::string empty = write("empty.pem", "");
  grpc::ChannelArguments arguments;
  for (const std::string& bad : {garbage, empty}) {
    expect_invalid([&] { security::channel_credentials(TlsConfig::server_only(bad), "", arguments); }, bad);
    TlsConfig server{TlsMode::Server, "", cert_path("server.pem"), bad, {}};
    expect_invalid([&] { security::server_credentials(server); }, bad);
  }
  // A key where a certificate belongs, and a certificate where a key belongs.
  const std::string key = cert_path("server.key");
  const std::string cert = cert_path("server.pem");
  expect_invalid([&] { security::server_credentials({TlsMode::Server, "", key, key, {}}); }, key);
  expect_invalid([&] { security::server_credentials({TlsMode::Server, "", cert, cert, {}}); }, cert);
  expect_invalid([&] { security::channel_credentials(TlsConfig::server_only(key), "", arguments); }, key);
}

TEST_F(SecurityHelpers, TargetNameOverrideGoesIntoTheChannelArguments) {
  TlsConfig tls = trusting_client();
  tls.target_name_override = "localhost";
  grpc::ChannelArguments arguments;
  security::channel_credentials(tls, "", arguments);
  grpc_channel_args c_args = arguments.c_channel_args();
  bool found = false;
  for (std::size_t i = 0; i < c_args.num_args; ++i) {
    if (std::string(c_args.args[i].key) == GRPC_SSL_TARGET_NAME_OVERRIDE_ARG) {
      found = true;
      EXPECT_STREQ(c_args.args[i].value.string, "localhost");
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ronde::ps::testing
