// The SigV4 signer against the worked examples of the Amazon S3 developer guide (public test
// vectors: access key AKIAIOSFODNN7EXAMPLE, 24 May 2013, us-east-1), plus its encoding rules.
// tests/s3/sigv4_differential.py compares it with botocore on random requests.
#include <gtest/gtest.h>

#include "s3/sigv4.h"

namespace {

using ronde::s3::Credentials;
using ronde::s3::RequestToSign;

const Credentials kExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kDate = "20130524T000000Z";
const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(SigV4, GuideExampleGetObjectWithRange) {
  const RequestToSign request{"GET", "examplebucket.s3.amazonaws.com", "/test.txt", {}, {{"Range", "bytes=0-9"}}, kEmptySha};
  const auto signed_request = ronde::s3::sign_v4(request, kExample, "us-east-1", "s3", kDate);
  EXPECT_EQ(signed_request.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(signed_request.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" + kEmptySha + "\nx-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n" + kEmptySha);
  EXPECT_EQ(signed_request.headers[0].second,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, GuideExamplePutObject) {
  const RequestToSign request{"PUT",
                              "examplebucket.s3.amazonaws.com",
                              "/test$file.text",
                              {},
                              {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                              ronde::s3::sha256_hex("Welcome to Amazon S3.")};
  const auto signed_request = ronde::s3::sign_v4(request, kExample, "us-east-1", "s3", kDate);
  EXPECT_EQ(signed_request.encoded_path, "/test%24file.text");
  EXPECT_EQ(signed_request.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, GuideExampleValuelessQueryParameter) {
  const RequestToSign request{"GET", "examplebucket.s3.amazonaws.com", "/", {{"lifecycle", ""}}, {}, kEmptySha};
  const auto signed_request = ronde::s3::sign_v4(request, kExample, "us-east-1", "s3", kDate);
  EXPECT_EQ(signed_request.encoded_query, "lifecycle=");
  EXPECT_EQ(signed_request.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, GuideExampleListObjectsWithSortedQuery) {
  // Given in the "wrong" order: the signer sorts.
  const RequestToSign request{"GET", "examplebucket.s3.amazonaws.com", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}, kEmptySha};
  const auto signed_request = ronde::s3::sign_v4(request, kExample, "us-east-1", "s3", kDate);
  EXPECT_EQ(signed_request.encoded_query, "max-keys=2&prefix=J");
  EXPECT_EQ(signed_request.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, EncodingRules) {
  EXPECT_EQ(ronde::s3::uri_encode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(ronde::s3::uri_encode("a b/c+d=e", false), "a%20b%2Fc%2Bd%3De");
  EXPECT_EQ(ronde::s3::uri_encode("/run 7/ck/./x..//y", true), "/run%207/ck/./x..//y");  // never normalised
  EXPECT_EQ(ronde::s3::uri_encode("\xc3\xa9t\xc3\xa9", true), "%C3%A9t%C3%A9");  // UTF-8 bytes, uppercase hex
  EXPECT_EQ(ronde::s3::sha256_hex(""), kEmptySha);
}

TEST(SigV4, SessionTokenIsSignedAndSent) {
  Credentials temporary = kExample;
  temporary.session_token = "token/with+chars";
  const RequestToSign request{"GET", "127.0.0.1:9000", "/bucket/key", {}, {{"X-Custom", "  a   b  "}}, kEmptySha};
  const auto signed_request = ronde::s3::sign_v4(request, temporary, "us-east-1", "s3", kDate);
  EXPECT_NE(signed_request.canonical_request.find("x-custom:a b\n"), std::string::npos) << "values are trimmed";
  EXPECT_NE(signed_request.canonical_request.find("x-amz-security-token:token/with+chars\n"), std::string::npos);
  EXPECT_EQ(signed_request.headers.back(), (std::pair<std::string, std::string>{"x-amz-security-token", "token/with+chars"}));
  EXPECT_THROW(ronde::s3::sign_v4(request, kExample, "us-east-1", "s3", "2013-05-24"), std::exception);
}

}  // namespace
