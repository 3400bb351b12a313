// One S3 request, signed and retried: the layer between the Storage operations (s3_storage.cc)
// and HTTP (http_client.h).
//
// execute() signs every attempt afresh (new x-amz-date, current credentials), retries transient
// failures (network errors, truncated bodies, HTTP 408/429/5xx, S3 codes such as SlowDown) under
// the RetryPolicy, and returns the final HTTP response, successful or not, for the caller to
// interpret (a 404 may be NotFound, a 412 AlreadyExists). Only when no HTTP response came back at
// all does execute() throw. fail() turns an unsuccessful reply into the Error the contract asks
// for: operation, s3://bucket/key, HTTP status, S3 code and message, request id, attempts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/s3_config.h"
#include "ronde/checkpoint/storage.h"
#include "s3/http_client.h"
#include "s3/retry_policy.h"
#include "s3/sigv4.h"

namespace ronde::s3 {

struct S3Call {
  S3Call(std::string_view operation_name, std::string http_method, std::string object_key, NameValues query_params = {},
         NameValues header_values = {}, std::span<const std::byte> body_bytes = {})
      : operation(operation_name), method(std::move(http_method)), key(std::move(object_key)),
        query(std::move(query_params)), headers(std::move(header_values)), body(body_bytes) {}

  std::string_view operation;          // "PutObject", for messages
  std::string method;
  std::string key;                     // the full object key in the bucket (prefix included); "" = the bucket
  NameValues query;                    // unencoded
  NameValues headers;                  // sent and signed (Range, Content-Type, If-None-Match, x-amz-*)
  std::span<const std::byte> body;
  std::string payload_sha256;          // hex SHA-256 of `body`; computed when empty
  // Where a successful response's body goes: written from its start on every attempt. None: into
  // S3Reply::body. A body that would overflow it fails (not retried).
  std::optional<std::span<std::byte>> into;
  // The exact body size a successful response must have; a shorter one is retried.
  std::optional<std::uint64_t> expected_body_bytes;
};

struct S3Reply {
  long status = 0;
  NameValues headers;
  std::string body;                    // error body, or the body when the call had no `into`
  std::uint64_t body_bytes = 0;
  std::string error_code;              // S3's <Code>, when the body was an error document
  std::string error_message;           // S3's <Message>
  std::string request_id;              // x-amz-request-id header or <RequestId>
  std::string access_key_id;           // of the credentials the last attempt was signed with
  int attempts = 0;

  bool ok() const { return status >= 200 && status < 300 && error_code.empty(); }
  std::optional<std::string> header(std::string_view name) const;
};

class S3Client {
 public:
  S3Client(aws::S3Config config, std::unique_ptr<aws::CredentialsProvider> credentials,
           const checkpoint::StorageOptions& options);

  // See the top of this file. Throws Error(Unavailable) when the endpoint could not be reached,
  // Error(Storage) for other network failures, after the retries; Error(Unauthenticated) when no
  // credentials can be found.
  S3Reply execute(const S3Call& call);

  // Throws the Error for an unsuccessful `reply` to `call`: Unauthenticated for refused
  // credentials (naming the access key id), NotFound for 404, Storage otherwise. `what` adds
  // context ("part 3 of 12").
  [[noreturn]] void fail(const S3Call& call, const S3Reply& reply, std::string_view what = {}) const;

  // "s3://bucket/key" for a full key (or "s3://bucket" for the bucket).
  std::string uri_of_full_key(std::string_view key) const;
  const aws::S3Config& config() const { return config_; }

 private:
  HttpRequest build(const S3Call& call, const std::string& payload_sha256, const Credentials& credentials) const;

  aws::S3Config config_;
  aws::S3Config bucket_config_;  // config_ without its prefix: maps full keys to URL paths
  std::unique_ptr<aws::CredentialsProvider> credentials_;
  HttpClient http_;
  RetryPolicy retry_;
};

}  // namespace ronde::s3
