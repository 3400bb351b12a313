#include "ckpt/frame_cipher.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <limits>

#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void put_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

[[noreturn]] void openssl_failed(const char* what) {
  throw Error(ErrorCode::Internal, std::string("checkpoint encryption: OpenSSL ") + what + " failed");
}

}  // namespace

ShardSalt random_salt() {
  ShardSalt salt;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1) {
    openssl_failed("RAND_bytes");
  }
  return salt;
}

std::string salt_to_hex(const ShardSalt& salt) {
  std::string out;
  for (std::byte b : salt) {
    out.push_back(kHex[std::to_integer<unsigned>(b) >> 4]);
    out.push_back(kHex[std::to_integer<unsigned>(b) & 0xf]);
  }
  return out;
}

std::optional<ShardSalt> salt_from_hex(std::string_view hex) {
  if (hex.size() != 2 * kSaltBytes) return std::nullopt;
  ShardSalt salt;
  for (std::size_t i = 0; i < kSaltBytes; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    salt[i] = static_cast<std::byte>(hi * 16 + lo);
  }
  return salt;
}

std::uint64_t frame_count(std::uint64_t plaintext_bytes, std::uint64_t frame_bytes) {
  return plaintext_bytes / frame_bytes + (plaintext_bytes % frame_bytes != 0 ? 1 : 0);
}

std::uint64_t encrypted_size(std::uint64_t plaintext_bytes, std::uint64_t frame_bytes) {
  return plaintext_bytes + kFrameTagBytes * frame_count(plaintext_bytes, frame_bytes);
}

FrameSpan frames_for(std::uint64_t offset, std::uint64_t length, std::uint64_t plaintext_bytes,
                     std::uint64_t frame_bytes) {
  FrameSpan span;
  span.first_frame = offset / frame_bytes;
  const std::uint64_t last = (offset + length - 1) / frame_bytes;
  span.frames = last - span.first_frame + 1;
  span.stored_offset = span.first_frame * (frame_bytes + kFrameTagBytes);
  const std::uint64_t end_plain = std::min(plaintext_bytes, (last + 1) * frame_bytes);
  span.stored_length = end_plain - span.first_frame * frame_bytes + span.frames * kFrameTagBytes;
  return span;
}

struct FrameCipher::Context {
  EVP_CIPHER_CTX* encrypt = nullptr;
  EVP_CIPHER_CTX* decrypt = nullptr;
};

FrameCipher::FrameCipher(const EncryptionKey& key, std::string_view checkpoint, std::string_view shard,
                         const ShardSalt& salt, std::uint64_t frame_bytes)
    : ctx_(new Context), key_(key), identity_(std::string(checkpoint) + "/" + std::string(shard)), salt_(salt),
      frame_bytes_(frame_bytes) {
  if (frame_bytes_ == 0 || frame_bytes_ > kMaxEncryptionFrameBytes) {
    delete ctx_;
    throw Error(ErrorCode::InvalidArgument, "checkpoint encryption: frame size " + std::to_string(frame_bytes) +
                                                " is outside 1.." + std::to_string(kMaxEncryptionFrameBytes));
  }
}

FrameCipher::~FrameCipher() {
  EVP_CIPHER_CTX_free(ctx_->encrypt);
  EVP_CIPHER_CTX_free(ctx_->decrypt);
  delete ctx_;
}

std::array<unsigned char, 12> FrameCipher::nonce(std::uint64_t index) const {
  std::array<unsigned char, 12> iv{};
  for (std::size_t i = 0; i < kSaltBytes; ++i) iv[i] = std::to_integer<unsigned char>(salt_[i]);
  for (int i = 0; i < 4; ++i) iv[kSaltBytes + i] = static_cast<unsigned char>((index >> (8 * (3 - i))) & 0xff);
  return iv;
}

std::string FrameCipher::aad(std::uint64_t index) const {
  std::string out = identity_;
  put_be(out, index, 8);
  return out;
}

void FrameCipher::encrypt_frame(std::uint64_t index, std::span<const std::byte> plaintext, std::byte* out) {
  if (ctx_->encrypt == nullptr) {
    ctx_->encrypt = EVP_CIPHER_CTX_new();
    if (ctx_->encrypt == nullptr ||
        EVP_EncryptInit_ex(ctx_->encrypt, EVP_aes_256_gcm(), nullptr,
                           reinterpret_cast<const unsigned char*>(key_.bytes.data()), nullptr) != 1) {
      openssl_failed("AES-256-GCM encryption setup");
    }
  }
  const auto iv = nonce(index);
  const std::string extra = aad(index);
  auto* dst = reinterpret_cast<unsigned char*>(out);
  int written = 0;
  int final_bytes = 0;
  if (EVP_EncryptInit_ex(ctx_->encrypt, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx_->encrypt, nullptr, &written, reinterpret_cast<const unsigned char*>(extra.data()),
                        static_cast<int>(extra.size())) != 1 ||
      EVP_EncryptUpdate(ctx_->encrypt, dst, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx_->encrypt, dst + written, &final_bytes) != 1 ||
      static_cast<std::size_t>(written + final_bytes) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx_->encrypt, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kFrameTagBytes),
                          dst + plaintext.size()) != 1) {
    openssl_failed("AES-256-GCM encryption");
  }
}

void FrameCipher::encrypt_shard(std::span<const std::byte> plaintext, std::vector<std::byte>& out) {
  const std::uint64_t frames = frame_count(plaintext.size(), frame_bytes_);
  if (frames > (1ull << 32)) {
    throw Error(ErrorCode::InvalidArgument, "checkpoint encryption: shard '" + identity_ + "' needs " +
                                                std::to_string(frames) + " frames, more than 2^32 (raise the frame size)");
  }
  out.resize(encrypted_size(plaintext.size(), frame_bytes_));
  for (std::uint64_t i = 0; i < frames; ++i) {
    const std::uint64_t begin = i * frame_bytes_;
    const std::uint64_t length = std::min<std::uint64_t>(frame_bytes_, plaintext.size() - begin);
    encrypt_frame(i, plaintext.subspan(begin, length), out.data() + i * (frame_bytes_ + kFrameTagBytes));
  }
}

bool FrameCipher::decrypt_frame(std::uint64_t index, std::span<const std::byte> stored, std::span<std::byte> plaintext) {
  if (stored.size() != plaintext.size() + kFrameTagBytes || plaintext.size() > frame_bytes_) return false;
  if (ctx_->decrypt == nullptr) {
    ctx_->decrypt = EVP_CIPHER_CTX_new();
    if (ctx_->decrypt == nullptr ||
        EVP_DecryptInit_ex(ctx_->decrypt, EVP_aes_256_gcm(), nullptr,
                           reinterpret_cast<const unsigned char*>(key_.bytes.data()), nullptr) != 1) {
      openssl_failed("AES-256-GCM decryption setup");
    }
  }
  const auto iv = nonce(index);
  const std::string extra = aad(index);
  auto* dst = reinterpret_cast<unsigned char*>(plaintext.data());
  const auto* src = reinterpret_cast<const unsigned char*>(stored.data());
  std::array<unsigned char, kFrameTagBytes> tag;
  std::copy(src + plaintext.size(), src + stored.size(), tag.begin());
  int written = 0;
  if (EVP_DecryptInit_ex(ctx_->decrypt, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_DecryptUpdate(ctx_->decrypt, nullptr, &written, reinterpret_cast<const unsigned char*>(extra.data()),
                        static_cast<int>(extra.size())) != 1 ||
      EVP_DecryptUpdate(ctx_->decrypt, dst, &written, src, static_cast<int>(plaintext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_->decrypt, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kFrameTagBytes), tag.data()) != 1) {
    openssl_failed("AES-256-GCM decryption");
  }
  int final_bytes = 0;
  return EVP_DecryptFinal_ex(ctx_->decrypt, dst + written, &final_bytes) == 1;
}

}  // namespace ronde::checkpoint::detail
