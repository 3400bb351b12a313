// StorageOptions::from_env, validate_key and open_storage's URI handling.
#include <gmock/gmock.h>

#include "ronde/checkpoint/storage.h"
#include "ronde/core/error.h"
#include "temp_dir.h"

namespace ronde::testing {
namespace {

using checkpoint::Addressing;
using checkpoint::ServerSideEncryption;
using checkpoint::StorageOptions;
using ::testing::HasSubstr;

MapEnvironment vars(std::map<std::string, std::string, std::less<>> values) {
  return MapEnvironment(std::move(values));
}

std::string invalid_argument_message(const MapEnvironment& env) {
  try {
    StorageOptions::from_env(env);
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    return error.message();
  }
  ADD_FAILURE() << "from_env accepted the environment";
  return {};
}

TEST(StorageOptionsTest, DefaultsWithoutVariables) {
  const StorageOptions options = StorageOptions::from_env(MapEnvironment());
  const StorageOptions defaults;
  EXPECT_EQ(options.part_size, defaults.part_size);
  EXPECT_EQ(options.multipart_threshold, defaults.multipart_threshold);
  EXPECT_EQ(options.concurrency, defaults.concurrency);
  EXPECT_EQ(options.sse, ServerSideEncryption::None);
  EXPECT_EQ(options.addressing, Addressing::Auto);
}

TEST(StorageOptionsTest, EveryKnobIsRead) {
  const StorageOptions options = StorageOptions::from_env(vars({
      {"RONDE_STORAGE_MULTIPART_THRESHOLD", "32M"},
      {"RONDE_STORAGE_PART_SIZE", "5MiB"},
      {"RONDE_STORAGE_CONCURRENCY", "3"},
      {"RONDE_STORAGE_MAX_ATTEMPTS", "2"},
      {"RONDE_STORAGE_RETRY_TOTAL_S", "1.5"},
      {"RONDE_STORAGE_CONNECT_TIMEOUT_S", "2"},
      {"RONDE_STORAGE_REQUEST_TIMEOUT_S", "0.25"},
      {"RONDE_S3_ADDRESSING", "virtual"},
      {"RONDE_S3_SSE", "aws:kms"},
      {"RONDE_S3_SSE_KMS_KEY_ID", "alias/ckpt"},
  }));
  EXPECT_EQ(options.multipart_threshold, 32u << 20);
  EXPECT_EQ(options.part_size, 5u << 20);
  EXPECT_EQ(options.concurrency, 3);
  EXPECT_EQ(options.max_attempts, 2);
  EXPECT_EQ(options.retry_total_time, std::chrono::milliseconds(1500));
  EXPECT_EQ(options.connect_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(options.request_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(options.addressing, Addressing::VirtualHosted);
  EXPECT_EQ(options.sse, ServerSideEncryption::Kms);
  EXPECT_EQ(options.sse_kms_key_id, "alias/ckpt");
  EXPECT_EQ(StorageOptions::from_env(vars({{"RONDE_S3_SSE", "AES256"}})).sse, ServerSideEncryption::Aes256);
  EXPECT_EQ(StorageOptions::from_env(vars({{"RONDE_S3_ADDRESSING", "PATH"}})).addressing, Addressing::Path);
  EXPECT_EQ(StorageOptions::from_env(vars({{"RONDE_S3_SSE_KMS_KEY_ID", "k"}})).sse, ServerSideEncryption::Kms)
      << "a KMS key id alone means aws:kms";
}

TEST(StorageOptionsTest, BadValuesNameTheVariable) {
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_STORAGE_PART_SIZE", "4M"}})),
              HasSubstr("RONDE_STORAGE_PART_SIZE"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_STORAGE_PART_SIZE", "6G"}})),
              HasSubstr("RONDE_STORAGE_PART_SIZE"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_STORAGE_CONCURRENCY", "0"}})),
              HasSubstr("RONDE_STORAGE_CONCURRENCY"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_STORAGE_MAX_ATTEMPTS", "many"}})),
              HasSubstr("RONDE_STORAGE_MAX_ATTEMPTS"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_STORAGE_RETRY_TOTAL_S", "-1"}})),
              HasSubstr("RONDE_STORAGE_RETRY_TOTAL_S"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_STORAGE_REQUEST_TIMEOUT_S", "0"}})),
              HasSubstr("RONDE_STORAGE_REQUEST_TIMEOUT_S"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_STORAGE_MULTIPART_THRESHOLD", "lots"}})),
              HasSubstr("RONDE_STORAGE_MULTIPART_THRESHOLD"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_S3_ADDRESSING", "dns"}})),
              HasSubstr("RONDE_S3_ADDRESSING"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_S3_SSE", "rot13"}})), HasSubstr("RONDE_S3_SSE"));
  EXPECT_THAT(invalid_argument_message(vars({{"RONDE_S3_SSE", "AES256"}, {"RONDE_S3_SSE_KMS_KEY_ID", "k"}})),
              HasSubstr("RONDE_S3_SSE_KMS_KEY_ID"));
}

TEST(ValidateKeyTest, AcceptsAndRejects) {
  using namespace std::string_literals;
  for (const std::string& key : {"a"s, "a/b/c"s, ".hidden"s, "..x"s, "x.."s, "with space"s, "\xe6\x97\xa5"s}) {
    EXPECT_NO_THROW(checkpoint::validate_key(key)) << key;
  }
  for (const std::string& key : {""s, "/a"s, "a/"s, "a//b"s, "."s, ".."s, "a/./b"s, "a/../b"s, "a\0b"s}) {
    try {
      checkpoint::validate_key(key);
      ADD_FAILURE() << "accepted '" << key << "'";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
      if (!key.empty() && key.find('\0') == std::string::npos) EXPECT_THAT(error.message(), HasSubstr(key));
    }
  }
}

TEST(OpenStorageTest, FileUrisAndPlainPaths) {
  const auto dir = fresh_test_dir("open");
  const StorageOptions options;
  EXPECT_EQ(checkpoint::open_storage("file://" + dir.string(), options)->uri(), "file://" + dir.string());
  EXPECT_EQ(checkpoint::open_storage("file://localhost" + dir.string(), options)->uri(), "file://" + dir.string());
  EXPECT_EQ(checkpoint::open_storage(dir.string() + "/./x/../", options)->uri(), "file://" + dir.string());
  EXPECT_EQ(checkpoint::open_storage("file:///", options)->uri_of("k"), "file:///k");
  const auto relative = checkpoint::open_storage("relative/dir", options)->uri();
  EXPECT_TRUE(relative.starts_with("file:///")) << relative;
  EXPECT_TRUE(relative.ends_with("/relative/dir")) << relative;
}

TEST(OpenStorageTest, BadUrisNameTheUri) {
  const StorageOptions options;
  for (const std::string uri : {"", "gs://bucket/x", "http://host/x", "file://relative/path"}) {
    try {
      checkpoint::open_storage(uri, options);
      ADD_FAILURE() << "accepted '" << uri << "'";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument) << error.what();
      EXPECT_THAT(error.message(), HasSubstr("'" + uri + "'"));
    }
  }
}

}  // namespace
}  // namespace ronde::testing
