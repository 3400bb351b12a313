// AWS Signature Version 4 for S3 requests, on OpenSSL (SHA-256 and HMAC).
//
// The rules S3 applies (and this signer follows):
//  - every byte but A-Z a-z 0-9 - . _ ~ is percent-encoded with uppercase hex; object paths keep
//    their '/' and are never normalised (no removal of "." or "..", no merging of "//");
//  - query parameters are encoded, then sorted by name and value; a parameter without a value is
//    signed as "name=";
//  - header names are lower-cased, values trimmed with inner runs of spaces collapsed, headers
//    sorted by name; host, x-amz-date and x-amz-content-sha256 (and x-amz-security-token when
//    there is a session token) are always signed;
//  - the signing key is HMAC("AWS4" + secret, date) -> region -> service -> "aws4_request".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ronde::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

using NameValues = std::vector<std::pair<std::string, std::string>>;

struct RequestToSign {
  std::string method;          // "GET", "PUT", ...
  std::string host;            // the Host header: "bucket.s3.us-east-1.amazonaws.com" or "127.0.0.1:9000"
  std::string path;            // unencoded, starting with '/': "/bucket/dir/file name.bin"
  NameValues query;            // unencoded names and values; an empty value is allowed
  NameValues headers;          // further headers to sign and send (range, content-type, x-amz-*)
  std::string payload_sha256;  // lower-case hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct Signature {
  NameValues headers;           // to add to the request: authorization, x-amz-date, x-amz-content-sha256, ...
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;        // lower-case hex
  std::string encoded_path;     // the path as it must appear in the request line
  std::string encoded_query;    // the canonical query string (also usable in the request line)
};

// Signs `request` for `region` and `service` ("s3") at `amz_date` ("20130524T000000Z", UTC).
Signature sign_v4(const RequestToSign& request, const Credentials& credentials, std::string_view region,
                  std::string_view service, std::string_view amz_date);

// Percent-encoding as SigV4 defines it; `keep_slash` for object paths.
std::string uri_encode(std::string_view text, bool keep_slash);
// Lower-case hex of `size` bytes.
std::string lower_hex(const unsigned char* bytes, std::size_t size);
// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);
// The current UTC time as "YYYYMMDDTHHMMSSZ".
std::string amz_date_now();

}  // namespace ronde::s3
