// S3-specific behaviour of the S3 backend against a real moto_server: multipart layout, create-only,
// ranges, listings across pages, pending uploads, SSE headers, missing keys, unreachable endpoints.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "aws/credentials.h"
#include "aws/s3_config.h"
#include "moto_server.h"
#include "ronde/core/error.h"
#include "s3/crc32c.h"
#include "s3/multipart_upload.h"
#include "s3/s3_client.h"
#include "s3_test_support.h"

namespace ronde::testing {
namespace {

using checkpoint::GetOptions;
using checkpoint::PutOptions;
using checkpoint::Storage;
using checkpoint::StorageOptions;

constexpr const char* kBucket = "ronde-backend";

class S3Backend : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = MotoServer::start({.buckets = {kBucket}}).release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    prefix_ = unique_name("backend");
    storage_ = open(fast_s3_options());
  }
  std::unique_ptr<Storage> open(const StorageOptions& options) {
    return open_test_s3(server_->endpoint(), std::string(kBucket) + "/" + prefix_, options);
  }
  // An S3Client on the same bucket, for looking at what the Storage interface does not show.
  s3::S3Client raw_client() {
    MapEnvironment env;
    auto config = aws::resolve_s3_config(std::string("s3://") + kBucket + "?endpoint=" + server_->endpoint() +
                                             "&region=us-east-1&addressing=path",
                                         fast_s3_options(), env);
    return s3::S3Client(std::move(config), aws::static_credentials({"testing", "testing", ""}, "test"), fast_s3_options());
  }

  static MotoServer* server_;
  std::string prefix_;
  std::unique_ptr<Storage> storage_;
};

MotoServer* S3Backend::server_ = nullptr;

TEST_F(S3Backend, MultipartWithShortLastPartRoundTrips) {
  const auto data = test_bytes(3 * 5 * kMiB + 1536 * 1024, 1);  // three 5 MiB parts and a 1.5 MiB one
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  storage_->put("big.bin", data, {.progress = [&](std::uint64_t done, std::uint64_t total) { progress.emplace_back(done, total); }});
  const auto info = storage_->head("big.bin");
  EXPECT_EQ(info.size, data.size());
  EXPECT_TRUE(info.etag.ends_with("-4")) << info.etag;  // a multipart upload of four parts
  EXPECT_EQ(storage_->get_all("big.bin"), data);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(std::uint64_t{data.size()}, std::uint64_t{data.size()}));
  EXPECT_TRUE(storage_->list_pending_uploads().empty());
}

TEST_F(S3Backend, SinglePartPutsCarryACrc32cThatHeadReports) {
  const auto data = test_bytes(300000, 14);
  storage_->put("crc.bin", data);
  EXPECT_EQ(storage_->head("crc.bin").checksum_crc32c, s3::crc32c_base64(data));
}

TEST_F(S3Backend, PutStreamUploadsInPartsOfBoundedSize) {
  const auto data = test_bytes(17 * kMiB + 123, 2);
  std::size_t offset = 0;
  std::size_t calls = 0;
  storage_->put_stream("stream.bin", [&](std::span<std::byte> buffer) {
    const std::size_t n = std::min({buffer.size(), data.size() - offset, std::size_t{777777}});
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(offset), n, buffer.begin());
    offset += n;
    ++calls;
    return n;
  });
  EXPECT_TRUE(storage_->head("stream.bin").etag.ends_with("-4"));
  EXPECT_EQ(storage_->get_all("stream.bin"), data);

  const auto small = test_bytes(1000, 3);  // shorter than a part: one PutObject
  bool given = false;
  storage_->put_stream("small.bin", [&](std::span<std::byte> buffer) -> std::size_t {
    if (given) return 0;
    given = true;
    std::copy(small.begin(), small.end(), buffer.begin());
    return small.size();
  });
  EXPECT_EQ(storage_->get_all("small.bin"), small);
  EXPECT_FALSE(storage_->head("small.bin").etag.ends_with("-1"));
}

TEST_F(S3Backend, CreateOnlyRefusesAnExistingKeyWithAlreadyExists) {
  const auto first = test_bytes(1000, 4);
  storage_->put("manifest.json", first, {.create_only = true});
  try {
    storage_->put("manifest.json", test_bytes(1000, 5), {.create_only = true});
    FAIL() << "a second create-only put succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::AlreadyExists) << error.what();
    EXPECT_NE(error.message().find(prefix_ + "/manifest.json"), std::string::npos) << error.what();
  }
  // Multipart too, and it leaves no upload behind.
  EXPECT_THROW(
      {
        try {
          storage_->put("manifest.json", test_bytes(12 * kMiB, 6), {.create_only = true});
        } catch (const Error& error) {
          EXPECT_EQ(error.code(), ErrorCode::AlreadyExists) << error.what();
          throw;
        }
      },
      Error);
  EXPECT_EQ(storage_->get_all("manifest.json"), first);
  EXPECT_TRUE(storage_->list_pending_uploads().empty());
  // An ordinary put replaces it.
  const auto second = test_bytes(2000, 7);
  storage_->put("manifest.json", second);
  EXPECT_EQ(storage_->get_all("manifest.json"), second);
}

TEST_F(S3Backend, RangesSmallAndLargeAreByteExact) {
  const auto data = test_bytes(13 * kMiB + 17, 8);  // above the threshold: parallel ranged gets
  storage_->put("ranges.bin", data);
  struct Case {
    std::uint64_t offset;
    std::optional<std::uint64_t> length;
  };
  const std::uint64_t size = data.size();
  for (const Case& c : {Case{0, std::nullopt}, Case{1, std::nullopt}, Case{5 * kMiB - 1, 2}, Case{7 * kMiB + 3, 6 * kMiB},
                        Case{size - 1, 1}, Case{size, std::nullopt}, Case{size, 0}, Case{12345, 0}}) {
    std::vector<std::byte> buffer(size);
    const std::size_t n = storage_->get("ranges.bin", buffer, {.offset = c.offset, .length = c.length});
    const std::uint64_t expected = c.length.value_or(size - c.offset);
    ASSERT_EQ(n, expected) << "offset " << c.offset;
    EXPECT_TRUE(std::equal(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n),
                           data.begin() + static_cast<std::ptrdiff_t>(c.offset)))
        << "offset " << c.offset;
    std::vector<std::byte> streamed;
    storage_->get_stream("ranges.bin", [&](std::span<const std::byte> bytes) { streamed.insert(streamed.end(), bytes.begin(), bytes.end()); },
                         {.offset = c.offset, .length = c.length});
    EXPECT_TRUE(std::equal(streamed.begin(), streamed.end(), data.begin() + static_cast<std::ptrdiff_t>(c.offset)) &&
                streamed.size() == expected)
        << "offset " << c.offset;
  }
  std::vector<std::byte> buffer(size);
  for (const Case& c : {Case{size + 1, std::nullopt}, Case{size - 10, 11}, Case{0, size + 1}}) {
    try {
      storage_->get("ranges.bin", buffer, {.offset = c.offset, .length = c.length});
      ADD_FAILURE() << "offset " << c.offset << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument) << error.what();
    }
  }
}

TEST_F(S3Backend, ListingPagesThroughMoreThanAThousandKeysAndRemoveAllBatches) {
  std::vector<std::string> keys;
  for (int i = 0; i < 1005; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "k/%05d", i);
    keys.emplace_back(name);
  }
  const auto bytes = test_bytes(16, 9);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < keys.size(); i += 4) storage_->put(keys[i], bytes);
    });
  }
  for (auto& writer : writers) writer.join();

  const auto first = storage_->list_page("k/", {}, 1000);
  ASSERT_EQ(first.objects.size(), 1000u);
  ASSERT_FALSE(first.next_token.empty());
  const auto second = storage_->list_page("k/", first.next_token, 1000);
  ASSERT_EQ(second.objects.size(), 5u);
  EXPECT_TRUE(second.next_token.empty());
  EXPECT_EQ(second.objects.back().key, "k/01004");
  EXPECT_EQ(second.objects.back().size, 16u);

  const auto all = storage_->list("k/");
  ASSERT_EQ(all.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(all[i].key, keys[i]);
  EXPECT_EQ(storage_->list_page("k/", {}, 7).objects.size(), 7u);
  EXPECT_THROW(storage_->list_page("k/", {}, 0), Error);

  std::vector<std::string> doomed = keys;
  doomed.push_back("k/never-existed");
  storage_->remove_all(doomed);
  EXPECT_TRUE(storage_->list("k/").empty());
}

TEST_F(S3Backend, PendingUploadsAreListedAndAborted) {
  auto client = raw_client();
  const auto part = test_bytes(5 * kMiB, 10);
  std::string upload_id;
  {
    s3::MultipartUpload upload(client, prefix_ + "/crashed/shard-0", {}, {}, 2, 0);
    upload.add_part(part);
    upload_id = upload.upload_id();
    // As after a crash: the upload is neither completed nor aborted while we look.
    const auto pending = storage_->list_pending_uploads("crashed/");
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].key, "crashed/shard-0");
    EXPECT_EQ(pending[0].upload_id, upload_id);
    storage_->abort_pending_upload(pending[0]);
    EXPECT_TRUE(storage_->list_pending_uploads("crashed/").empty());
  }  // the destructor's abort finds the upload gone, which is fine
  EXPECT_FALSE(storage_->try_head("crashed/shard-0").has_value());
}

TEST_F(S3Backend, ServerSideEncryptionHeadersAreSent) {
  StorageOptions options = fast_s3_options();
  options.sse = checkpoint::ServerSideEncryption::Aes256;
  auto encrypted = open(options);
  encrypted->put("sse-small.bin", test_bytes(1000, 11));
  encrypted->put("sse-large.bin", test_bytes(11 * kMiB, 12));
  auto client = raw_client();
  for (const char* key : {"sse-small.bin", "sse-large.bin"}) {
    s3::S3Call call("HeadObject", "HEAD", prefix_ + "/" + key);
    const auto reply = client.execute(call);
    ASSERT_TRUE(reply.ok()) << reply.status;
    EXPECT_EQ(reply.header("x-amz-server-side-encryption").value_or("(none)"), "AES256") << key;
  }
  storage_->put("plain.bin", test_bytes(10, 13));
  s3::S3Call call("HeadObject", "HEAD", prefix_ + "/plain.bin");
  EXPECT_FALSE(client.execute(call).header("x-amz-server-side-encryption").has_value());
}

TEST_F(S3Backend, MissingKeysAreNotFoundNamingTheObject) {
  const std::string uri = std::string("s3://") + kBucket + "/" + prefix_ + "/nope/missing.bin";
  for (int operation = 0; operation < 3; ++operation) {
    try {
      std::vector<std::byte> buffer(10);
      if (operation == 0) storage_->head("nope/missing.bin");
      if (operation == 1) storage_->get("nope/missing.bin", buffer);
      if (operation == 2) storage_->get_stream("nope/missing.bin", [](std::span<const std::byte>) {});
      ADD_FAILURE() << "operation " << operation << " found a missing key";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::NotFound) << error.what();
      EXPECT_NE(error.message().find(uri), std::string::npos) << error.what();
      EXPECT_NE(error.message().find("HTTP 404"), std::string::npos) << error.what();
    }
  }
  EXPECT_FALSE(storage_->try_head("nope/missing.bin").has_value());
  storage_->remove("nope/missing.bin");  // S3 semantics: no error
}

TEST_F(S3Backend, UnreachableEndpointIsUnavailableWithinTheRetryBudget) {
  StorageOptions options = fast_s3_options();
  options.retry_total_time = std::chrono::milliseconds(1500);
  auto nowhere = open_test_s3("http://127.0.0.1:" + std::to_string(free_tcp_port()), std::string(kBucket) + "/x", options);
  const auto start = std::chrono::steady_clock::now();
  try {
    nowhere->head("k");
    FAIL() << "head on a closed port succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Unavailable) << error.what();
    EXPECT_NE(error.message().find("s3://ronde-backend/x/k"), std::string::npos) << error.what();
    EXPECT_NE(error.message().find("attempts"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace ronde::testing
