// Pieces of the S3 backend that need no server: the retry policy, the XML documents, dates,
// ETags and digests.
#include <gtest/gtest.h>

#include <chrono>

#include "ronde/core/error.h"
#include "s3/crc32c.h"
#include "s3/hashing.h"
#include "s3/retry_policy.h"
#include "s3/s3_xml.h"

namespace ronde::s3 {
namespace {

using std::chrono::milliseconds;

TEST(S3Unit, BackoffIsBoundedByAttemptsDoublingCeilingAndTotalTime) {
  RetryPolicy policy({.max_attempts = 5, .base_delay = milliseconds(100), .max_delay = milliseconds(300),
                      .total_time = milliseconds(100000)});
  const auto start = std::chrono::steady_clock::now();
  for (int trial = 0; trial < 200; ++trial) {
    EXPECT_LE(policy.next_delay(1, start).value(), milliseconds(100));
    EXPECT_LE(policy.next_delay(2, start).value(), milliseconds(200));
    EXPECT_LE(policy.next_delay(4, start).value(), milliseconds(300));  // capped
  }
  EXPECT_FALSE(policy.next_delay(5, start).has_value());  // attempts used up
  RetryPolicy short_budget({.max_attempts = 50, .base_delay = milliseconds(1), .max_delay = milliseconds(1),
                            .total_time = milliseconds(50)});
  EXPECT_FALSE(short_budget.next_delay(1, start - milliseconds(60)).has_value());  // out of time
}

TEST(S3Unit, RetryableStatusesAndCodes) {
  for (long status : {408L, 429L, 500L, 502L, 503L, 504L}) EXPECT_TRUE(RetryPolicy::is_retryable_status(status)) << status;
  for (long status : {400L, 403L, 404L, 412L, 416L, 501L}) EXPECT_FALSE(RetryPolicy::is_retryable_status(status)) << status;
  for (const char* code : {"SlowDown", "RequestTimeout", "InternalError"}) EXPECT_TRUE(RetryPolicy::is_retryable_code(code));
  for (const char* code : {"NoSuchKey", "AccessDenied", "SignatureDoesNotMatch", ""}) EXPECT_FALSE(RetryPolicy::is_retryable_code(code));
}

TEST(S3Unit, ParsesErrorDocuments) {
  const auto error = parse_error_document(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
      "<Key>a/b</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "NoSuchKey");
  EXPECT_EQ(error->request_id, "4442587FB7D0A2F9");
  EXPECT_FALSE(parse_error_document("<ListBucketResult/>").has_value());
  EXPECT_FALSE(parse_error_document("not xml").has_value());
}

TEST(S3Unit, ParsesListingsWithContinuation) {
  const auto list = parse_list_objects(
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>true</IsTruncated>"
      "<Contents><Key>run/a &amp; b</Key><LastModified>2024-05-01T12:00:01.000Z</LastModified>"
      "<ETag>&quot;abc&quot;</ETag><Size>42</Size></Contents>"
      "<NextContinuationToken>tok/en=</NextContinuationToken></ListBucketResult>");
  ASSERT_EQ(list.objects.size(), 1u);
  EXPECT_EQ(list.objects[0].key, "run/a & b");
  EXPECT_EQ(list.objects[0].size, 42u);
  EXPECT_EQ(list.objects[0].etag, "abc");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(list.objects[0].last_modified), 1714564801);
  EXPECT_EQ(list.next_token, "tok/en=");
  EXPECT_THROW(parse_list_objects("<Other/>"), Error);
}

TEST(S3Unit, BuildsCompleteAndDeleteBodiesAndParsesDeleteErrors) {
  EXPECT_EQ(complete_multipart_body({"e1", "e2"}),
            "<?xml version=\"1.0\"?><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag></Part></CompleteMultipartUpload>");
  EXPECT_EQ(delete_objects_body({"a<b"}), "<?xml version=\"1.0\"?><Delete><Quiet>true</Quiet><Object><Key>a&lt;b</Key></Object></Delete>");
  const auto failures = parse_delete_result(
      "<DeleteResult><Error><Key>x</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].key, "x");
  EXPECT_EQ(failures[0].reason, "AccessDenied: no");
}

TEST(S3Unit, Crc32cMatchesTheStandardCheckValue) {
  const std::string text = "123456789";
  EXPECT_EQ(crc32c(std::as_bytes(std::span(text))), 0xE3069283u);
  EXPECT_EQ(crc32c_base64(std::as_bytes(std::span(text))), "4waSgw==");
  EXPECT_EQ(crc32c({}), 0u);
  const std::string odd = "odd length, crossing 8-byte words: 0123456789abcdef!";
  std::uint32_t bitwise = 0xffffffff;  // the definition, bit by bit
  for (unsigned char c : odd) {
    bitwise ^= c;
    for (int bit = 0; bit < 8; ++bit) bitwise = (bitwise >> 1) ^ ((bitwise & 1) ? 0x82f63b78u : 0);
  }
  EXPECT_EQ(crc32c(std::as_bytes(std::span(odd))), ~bitwise);
}

TEST(S3Unit, DatesEtagsAndDigests) {
  EXPECT_EQ(std::chrono::system_clock::to_time_t(parse_http_date("Wed, 01 May 2024 12:00:01 GMT")), 1714564801);
  EXPECT_EQ(unquote_etag("\"d41d8cd98f00b204e9800998ecf8427e\""), "d41d8cd98f00b204e9800998ecf8427e");
  const std::string text = "The quick brown fox jumps over the lazy dog";
  const auto digest = md5(std::as_bytes(std::span(text)));
  EXPECT_EQ(digest.hex, "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(digest.base64, "nhB9nTcrtoJr2B01QqQZ1g==");
  EXPECT_EQ(sha256_hex(std::as_bytes(std::span(text))), "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");

}

}  // namespace
}  // namespace ronde::s3
