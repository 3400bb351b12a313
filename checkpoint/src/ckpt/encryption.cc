// EncryptionKey: parsing (hex, file, environment) and its id.
#include "ronde/checkpoint/encryption.h"

#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "ronde/core/error.h"

namespace ronde::checkpoint {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string EncryptionKey::id() const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

EncryptionKey EncryptionKey::from_hex(std::string_view hex, std::string_view source) {
  const std::string_view text = trim(hex);
  if (text.size() != 64) {
    throw Error(ErrorCode::InvalidArgument, std::string(source) + ": a checkpoint encryption key must be 64 hex digits "
                                                "(32 bytes), got " + std::to_string(text.size()) + " characters");
  }
  EncryptionKey key;
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      throw Error(ErrorCode::InvalidArgument,
                  std::string(source) + ": a checkpoint encryption key must be 64 hex digits (0-9, a-f), found "
                                        "another character at position " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    }
    key.bytes[i] = static_cast<std::byte>(hi * 16 + lo);
  }
  return key;
}

EncryptionKey EncryptionKey::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::InvalidArgument, "checkpoint encryption key file '" + path + "' cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw Error(ErrorCode::InvalidArgument, "checkpoint encryption key file '" + path + "' cannot be read");
  }
  return from_hex(text.str(), "checkpoint encryption key file '" + path + "'");
}

std::optional<EncryptionKey> EncryptionKey::from_env(const Environment& env) {
  if (const auto file = env.get("RONDE_CHECKPOINT_KEY_FILE"); file && !file->empty()) {
    try {
      return from_file(*file);
    } catch (const Error& error) {
      throw Error(ErrorCode::InvalidArgument, "RONDE_CHECKPOINT_KEY_FILE: " + error.message());
    }
  }
  if (const auto hex = env.get("RONDE_CHECKPOINT_KEY"); hex && !hex->empty()) {
    return from_hex(*hex, "RONDE_CHECKPOINT_KEY");
  }
  return std::nullopt;
}

}  // namespace ronde::checkpoint
