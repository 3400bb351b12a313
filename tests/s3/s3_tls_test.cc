// The S3 backend over HTTPS: a real moto_server behind a TLS-terminating proxy with a test CA's
// server certificate (subjectAltName 127.0.0.1). With that CA as the bundle (StorageOptions::
// ca_bundle, as AWS_CA_BUNDLE sets it) puts, multipart uploads, ranged gets and listings work; a
// bundle of another CA, or the system's CAs, refuse the server at once, naming the endpoint.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "moto_server.h"
#include "ronde/core/error.h"
#include "s3_test_support.h"
#include "tls_proxy.h"

namespace ronde::testing {
namespace {

using checkpoint::StorageOptions;

constexpr const char* kBucket = "ronde-tls";

class S3Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new std::filesystem::path(std::filesystem::temp_directory_path() / unique_name("ronde-s3-tls-certs"));
    const std::string command = std::string(RONDE_MAKE_TEST_CERTS) + " " + certs_->string();
    if (std::system(command.c_str()) != 0) return;
    server_ = MotoServer::start({.buckets = {kBucket}}).release();
    if (server_ == nullptr) return;
    proxy_ = new TlsProxy(server_->port(), (*certs_ / "server.pem").string(), (*certs_ / "server.key").string());
  }
  static void TearDownTestSuite() {
    delete proxy_;
    delete server_;
    std::filesystem::remove_all(*certs_);
    delete certs_;
    proxy_ = nullptr;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(proxy_, nullptr) << "certificates, moto_server or the TLS proxy did not start"; }

  static StorageOptions trusting(const std::string& ca_file) {
    StorageOptions options = fast_s3_options();
    options.ca_bundle = ca_file.empty() ? "" : (*certs_ / ca_file).string();
    return options;
  }
  static std::unique_ptr<checkpoint::Storage> open(const StorageOptions& options) {
    return open_test_s3(proxy_->endpoint(), std::string(kBucket) + "/" + unique_name("tls"), options);
  }
  // The refusal of an untrusted server: at once (no retries), a Storage error naming the endpoint
  // and the certificate problem; no object is written.
  static void expect_refused(const StorageOptions& options) {
    auto storage = open(options);
    const auto start = std::chrono::steady_clock::now();
    try {
      storage->put("k", test_bytes(1000, 1));
      FAIL() << "a put to a server the bundle does not trust succeeded";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::Storage) << error.what();
      EXPECT_NE(error.message().find(proxy_->endpoint()), std::string::npos) << error.what();
      EXPECT_NE(error.message().find("certificate"), std::string::npos) << error.what();
      EXPECT_NE(error.message().find("after 1 attempt"), std::string::npos) << error.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
    EXPECT_FALSE(open(trusting("ca.pem"))->try_head("k").has_value());
  }

  static std::filesystem::path* certs_;
  static MotoServer* server_;
  static TlsProxy* proxy_;
};

std::filesystem::path* S3Tls::certs_ = nullptr;
MotoServer* S3Tls::server_ = nullptr;
TlsProxy* S3Tls::proxy_ = nullptr;

TEST_F(S3Tls, TheRightCaBundleCarriesEveryKindOfRequest) {
  auto storage = open(trusting("ca.pem"));
  const auto small = test_bytes(100'000, 2);
  const auto large = test_bytes(12 * kMiB + 77, 3);  // multipart with the test options' part size
  storage->put("small.bin", small);
  storage->put("large.bin", large);
  EXPECT_EQ(storage->get_all("small.bin"), small);
  EXPECT_EQ(storage->get_all("large.bin"), large);
  std::vector<std::byte> middle(1000);
  checkpoint::GetOptions range;
  range.offset = 5 * kMiB;
  range.length = middle.size();
  storage->get("large.bin", middle, range);
  EXPECT_TRUE(std::equal(middle.begin(), middle.end(), large.begin() + 5 * kMiB));
  EXPECT_EQ(storage->list("").size(), 2u);
  storage->remove("small.bin");
  EXPECT_FALSE(storage->try_head("small.bin").has_value());
  EXPECT_GT(proxy_->handshakes_completed(), 0);
}

TEST_F(S3Tls, AnotherCasBundleRefusesTheServerAtOnce) { expect_refused(trusting("other-ca.pem")); }

TEST_F(S3Tls, TheSystemCasRefuseAPrivateCaServer) { expect_refused(trusting("")); }

}  // namespace
}  // namespace ronde::testing
