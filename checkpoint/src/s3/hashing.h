// Digests of request and response bodies (OpenSSL EVP): SHA-256 for SigV4 payload signing, MD5
// for Content-MD5 (DeleteObjects requires it) and for checking single-part ETags.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace ronde::s3 {

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::span<const std::byte> data);

struct Md5 {
  std::string hex;     // lower-case hex, as S3 ETags of single-part objects show it
  std::string base64;  // as the Content-MD5 header wants it
};
Md5 md5(std::span<const std::byte> data);

}  // namespace ronde::s3
