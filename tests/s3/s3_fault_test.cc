// The S3 backend through a fault-injecting proxy (fault_proxy.h) in front of moto_server: dropped
// connections, 503 SlowDown, stalls beyond the request timeout, truncated bodies and lost
// responses are retried until the transfer is byte-exact; faults that never stop end in a clear
// error within the retry budget, leaving no object and no open multipart upload. Overwrites that
// the proxy lands between a read's requests make get() start over on the new version (or give up
// after five reads) and make get_stream fail without mixing versions.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "fault_proxy.h"
#include "moto_server.h"
#include "ronde/core/error.h"
#include "s3_test_support.h"

namespace ronde::testing {
namespace {

using checkpoint::Storage;
using checkpoint::StorageOptions;
using Clock = std::chrono::steady_clock;

constexpr const char* kBucket = "ronde-faults";

class S3Faults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = MotoServer::start({.buckets = {kBucket}}).release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    proxy_ = std::make_unique<FaultProxy>(server_->port());
    prefix_ = std::string(kBucket) + "/" + unique_name("faults");
    through_proxy_ = open_test_s3(proxy_->endpoint(), prefix_, stall_s3_options());
    direct_ = open_test_s3(server_->endpoint(), prefix_, fast_s3_options());
  }
  void TearDown() override { proxy_.reset(); }

  // Another writer's put, straight to moto (for proxy hooks, which must not throw).
  void replace(const std::string& key, const std::vector<std::byte>& data) {
    try {
      direct_->put(key, data);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "the overwrite of " << key << " failed: " << error.what();
    }
  }

  // A reader through the proxy whose gets above 1 MiB take the ranged path (parts of 5 MiB) and
  // whose requests wait out a hook's put instead of timing out and being retried.
  std::unique_ptr<Storage> ranged_reader() {
    StorageOptions options = fast_s3_options();
    options.multipart_threshold = kMiB;
    options.request_timeout = std::chrono::seconds(30);  // whatever the machine's load
    return open_test_s3(proxy_->endpoint(), prefix_, options);
  }

  // What a failed upload must leave: no object, no open multipart upload.
  void expect_nothing_left(const std::string& key) {
    EXPECT_FALSE(direct_->try_head(key).has_value()) << key << " exists after a failed put";
    EXPECT_TRUE(direct_->list_pending_uploads().empty()) << "a multipart upload was left open";
  }

  static MotoServer* server_;
  std::unique_ptr<FaultProxy> proxy_;
  std::string prefix_;
  std::unique_ptr<Storage> through_proxy_;
  std::unique_ptr<Storage> direct_;
};

MotoServer* S3Faults::server_ = nullptr;

TEST_F(S3Faults, SinglePartPutSurvivesDropsSlowDownsAndStalls) {
  const auto data = test_bytes(1536 * 1024, 1);
  proxy_->add({.fault = Fault::Drop, .method = "PUT", .match = ""});
  proxy_->add({.fault = Fault::SlowDown, .method = "PUT", .match = ""});
  proxy_->add({.fault = Fault::Stall, .method = "PUT", .match = ""});
  proxy_->add({.fault = Fault::DropResponse, .method = "PUT", .match = ""});
  through_proxy_->put("single.bin", data);
  EXPECT_EQ(proxy_->faults_injected(), 4);
  EXPECT_EQ(direct_->get_all("single.bin"), data);
}

TEST_F(S3Faults, MultipartPutSurvivesFaultsOnEveryStep) {
  const auto data = test_bytes(3 * 5 * kMiB + 700 * 1024, 2);
  proxy_->add({.fault = Fault::SlowDown, .method = "POST", .match = "uploads"});        // CreateMultipartUpload
  proxy_->add({.fault = Fault::Drop, .method = "PUT", .match = "partNumber=2"});
  proxy_->add({.fault = Fault::SlowDown, .method = "PUT", .match = "partNumber=3", .count = 2});
  proxy_->add({.fault = Fault::Stall, .method = "PUT", .match = "partNumber=4"});
  proxy_->add({.fault = Fault::DropResponse, .method = "PUT", .match = "partNumber=1"});
  proxy_->add({.fault = Fault::DropResponse, .method = "POST", .match = "uploadId="});  // the completion's reply is lost
  through_proxy_->put("multi.bin", data);
  EXPECT_EQ(proxy_->faults_injected(), 7);
  EXPECT_EQ(direct_->get_all("multi.bin"), data);
  EXPECT_TRUE(direct_->head("multi.bin").etag.ends_with("-4"));
  EXPECT_TRUE(direct_->list_pending_uploads().empty());
}

TEST_F(S3Faults, DownloadsSurviveTruncationStallsAndDrops) {
  const auto data = test_bytes(14 * kMiB + 5, 3);
  direct_->put("download.bin", data);
  proxy_->add({.fault = Fault::Truncate, .method = "GET", .match = "", .count = 2});
  proxy_->add({.fault = Fault::Stall, .method = "GET", .match = ""});
  proxy_->add({.fault = Fault::Drop, .method = "GET", .match = ""});
  proxy_->add({.fault = Fault::SlowDown, .method = "GET", .match = ""});
  EXPECT_EQ(through_proxy_->get_all("download.bin"), data);
  EXPECT_EQ(proxy_->faults_injected(), 5);

  proxy_->add({.fault = Fault::Truncate, .method = "GET", .match = "", .count = 3});
  std::vector<std::byte> streamed;
  through_proxy_->get_stream("download.bin",
                             [&](std::span<const std::byte> bytes) { streamed.insert(streamed.end(), bytes.begin(), bytes.end()); });
  EXPECT_EQ(streamed, data);
  EXPECT_EQ(proxy_->faults_injected(), 8);
}

TEST_F(S3Faults, PersistentSlowDownOnAPartFailsClearlyAndAbortsTheUpload) {
  const auto data = test_bytes(3 * 5 * kMiB, 4);
  proxy_->add({.fault = Fault::SlowDown, .method = "PUT", .match = "partNumber=2", .count = -1});
  const auto start = Clock::now();
  try {
    through_proxy_->put("doomed.bin", data);
    FAIL() << "the put succeeded through a part that always fails";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Storage) << error.what();
    for (const std::string& part : {std::string("s3://") + prefix_ + "/doomed.bin", std::string("UploadPart"),
                                    std::string("HTTP 503"), std::string("SlowDown"), std::string("request id fault-proxy-"),
                                    std::string("6 attempts"), std::string("part 2")}) {
      EXPECT_NE(error.message().find(part), std::string::npos) << "'" << part << "' missing from: " << error.what();
    }
  }
  EXPECT_LT(Clock::now() - start, stall_s3_options().retry_total_time + std::chrono::seconds(3));
  expect_nothing_left("doomed.bin");
}

TEST_F(S3Faults, PersistentStallFailsWithinTheRetryBudgetAndLeavesNoObject) {
  StorageOptions options = stall_s3_options();
  options.max_attempts = 3;
  auto storage = open_test_s3(proxy_->endpoint(), prefix_, options);
  proxy_->add({.fault = Fault::Stall, .method = "PUT", .match = "", .count = -1});
  const auto start = Clock::now();
  try {
    storage->put("stalled.bin", test_bytes(1000, 5));
    FAIL() << "the put succeeded through a server that never answers";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Storage) << error.what();
    EXPECT_NE(error.message().find("PutObject s3://" + prefix_ + "/stalled.bin"), std::string::npos) << error.what();
    EXPECT_NE(error.message().find("3 attempts"), std::string::npos) << error.what();
  }
  // Three attempts of about one request_timeout each, and short backoffs.
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(8));
  expect_nothing_left("stalled.bin");
}

TEST_F(S3Faults, PersistentTruncationOfADownloadFailsClearly) {
  direct_->put("cut.bin", test_bytes(100000, 6));
  proxy_->add({.fault = Fault::Truncate, .method = "GET", .match = "", .count = -1});
  try {
    through_proxy_->get_all("cut.bin");
    FAIL() << "a download that is always cut short succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Storage) << error.what();
    EXPECT_NE(error.message().find("GetObject s3://" + prefix_ + "/cut.bin"), std::string::npos) << error.what();
    EXPECT_NE(error.message().find("attempts"), std::string::npos) << error.what();
  }
}

// The race of the suite's ReadersSeeWholeVersionsDuringOverwrites, forced: another writer
// replaces the object after the reader's HEAD and before its first range reaches the server. The
// range pinned to the old ETag gets 412, and the read starts over on the new version.
TEST_F(S3Faults, AGetStartsOverOnTheNewVersionWhenTheObjectIsReplacedMidRead) {
  const auto old_version = test_bytes(12 * kMiB, 10);  // three ranges: 5 + 5 + 2 MiB
  const auto new_version = test_bytes(12 * kMiB, 11);
  direct_->put("race.bin", old_version);
  auto reader = ranged_reader();
  proxy_->add({.fault = Fault::Hook, .method = "GET", .match = "", .count = 1, .hook = [&] { replace("race.bin", new_version); }});
  std::vector<std::byte> buffer(old_version.size());
  EXPECT_EQ(reader->get("race.bin", buffer), buffer.size());
  EXPECT_TRUE(buffer == new_version) << "the read kept bytes of the replaced version";
  EXPECT_EQ(proxy_->faults_injected(), 1);
  EXPECT_EQ(proxy_->requests_seen("HEAD"), 2) << "the read did not start over exactly once";

  // The suite's case: a 2 MiB object read with one range.
  direct_->put("small-race.bin", old_version);
  const std::vector<std::byte> small_new(new_version.begin(), new_version.begin() + 2 * kMiB);
  proxy_->add({.fault = Fault::Hook, .method = "GET", .match = "", .count = 1, .hook = [&] { replace("small-race.bin", small_new); }});
  EXPECT_EQ(reader->get_all("small-race.bin"), small_new);
}

TEST_F(S3Faults, AGetOfAnObjectReplacedDuringEveryReadFailsNamingIt) {
  direct_->put("churn.bin", test_bytes(2 * kMiB, 20));
  auto reader = ranged_reader();
  std::atomic<unsigned> seed{20};
  proxy_->add({.fault = Fault::Hook, .method = "GET", .match = "", .count = -1,
               .hook = [&] { replace("churn.bin", test_bytes(2 * kMiB, ++seed)); }});
  std::vector<std::byte> buffer(2 * kMiB);
  try {
    reader->get("churn.bin", buffer);
    FAIL() << "a get succeeded although every one of its reads saw the object replaced";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Storage) << error.what();
    for (const std::string& part : {"get s3://" + prefix_ + "/churn.bin", std::string("kept changing"),
                                    std::string("each of 5 reads"), std::string("no longer matches")}) {
      EXPECT_NE(error.message().find(part), std::string::npos) << "'" << part << "' missing from: " << error.what();
    }
  }
  EXPECT_EQ(proxy_->requests_seen("HEAD"), 5);
  EXPECT_EQ(proxy_->requests_seen("GET"), 5);
}

// A stream has handed the first part to its sink when the object is replaced: it fails, and what
// it delivered is all of the old version.
TEST_F(S3Faults, AStreamFailsWhenTheObjectIsReplacedAfterItsFirstPart) {
  const auto old_version = test_bytes(12 * kMiB, 30);
  direct_->put("stream.bin", old_version);
  auto reader = ranged_reader();
  std::atomic<int> gets{0};
  proxy_->add({.fault = Fault::Hook, .method = "GET", .match = "", .count = -1, .hook = [&] {
                 if (++gets == 2) replace("stream.bin", test_bytes(12 * kMiB, 31));
               }});
  std::vector<std::byte> delivered;
  try {
    reader->get_stream("stream.bin", [&](std::span<const std::byte> bytes) {
      delivered.insert(delivered.end(), bytes.begin(), bytes.end());
    });
    FAIL() << "the stream went on across an overwrite";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Storage) << error.what();
    EXPECT_NE(error.message().find("get_stream s3://" + prefix_ + "/stream.bin: the object was replaced after"),
              std::string::npos)
        << error.what();
  }
  ASSERT_GE(delivered.size(), 5 * kMiB);
  ASSERT_LT(delivered.size(), old_version.size());
  EXPECT_TRUE(std::equal(delivered.begin(), delivered.end(), old_version.begin()))
      << "the stream delivered bytes of the new version";
}

}  // namespace
}  // namespace ronde::testing
