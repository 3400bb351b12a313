#include "s3/hashing.h"

#include <openssl/evp.h>

#include <string_view>

#include "ronde/core/error.h"
#include "s3/sigv4.h"

namespace ronde::s3 {

std::string sha256_hex(std::span<const std::byte> data) {
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

Md5 md5(std::span<const std::byte> data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    throw Error(ErrorCode::Internal, "MD5 failed in OpenSSL");
  }
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int encoded_length = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
  return {lower_hex(digest, length), std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(encoded_length))};
}

}  // namespace ronde::s3
