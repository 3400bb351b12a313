// The framed AES-256-GCM cipher of encrypted shards (docs/CHECKPOINT_FORMAT.md, "Encryption").
//
// A shard's plaintext is cut into frames of `frame_bytes` (the last may be shorter, never empty);
// frame i is stored as its AES-256-GCM ciphertext (same length) followed by its 16-byte tag, so
// stored frame i starts at i * (frame_bytes + 16). The 12-byte nonce of frame i is the shard's
// random 8-byte salt followed by i as 4 big-endian bytes; the additional authenticated data is
// "<checkpoint name>/<shard name>" followed by i as 8 big-endian bytes, so a frame moved to
// another position, shard or checkpoint fails authentication.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/checkpoint/encryption.h"

namespace ronde::checkpoint::detail {

inline constexpr std::string_view kFramedAlgorithm = "aes-256-gcm-framed";
inline constexpr std::uint64_t kFrameTagBytes = 16;
inline constexpr std::size_t kSaltBytes = 8;
using ShardSalt = std::array<std::byte, kSaltBytes>;

// A fresh random salt (OpenSSL's RAND_bytes; Error(Internal) if it fails).
ShardSalt random_salt();
// 16 lowercase hex digits, and back (nullopt for anything else).
std::string salt_to_hex(const ShardSalt& salt);
std::optional<ShardSalt> salt_from_hex(std::string_view hex);

// Frames of a shard of `plaintext_bytes` (0 for an empty shard).
std::uint64_t frame_count(std::uint64_t plaintext_bytes, std::uint64_t frame_bytes);
// The stored (encrypted) size: plaintext + 16 bytes per frame.
std::uint64_t encrypted_size(std::uint64_t plaintext_bytes, std::uint64_t frame_bytes);

// The frames holding plaintext bytes [offset, offset + length) of a shard, and where they are stored.
struct FrameSpan {
  std::uint64_t first_frame = 0;
  std::uint64_t frames = 0;
  std::uint64_t stored_offset = 0;  // of the first frame
  std::uint64_t stored_length = 0;  // of all `frames` frames, tags included
};
// Requires length > 0 and offset + length <= plaintext_bytes.
FrameSpan frames_for(std::uint64_t offset, std::uint64_t length, std::uint64_t plaintext_bytes,
                     std::uint64_t frame_bytes);

// One shard's cipher: the key, the shard's identity (for the AAD) and its salt. Not thread-safe;
// one per thread.
class FrameCipher {
 public:
  FrameCipher(const EncryptionKey& key, std::string_view checkpoint, std::string_view shard, const ShardSalt& salt,
              std::uint64_t frame_bytes);
  ~FrameCipher();
  FrameCipher(const FrameCipher&) = delete;
  FrameCipher& operator=(const FrameCipher&) = delete;

  // Encrypts a whole shard into `out` (resized to encrypted_size; its capacity is reused).
  void encrypt_shard(std::span<const std::byte> plaintext, std::vector<std::byte>& out);
  // Decrypts stored frame `index` (ciphertext + tag; `plaintext.size()` + 16 bytes) into
  // `plaintext`. False when the tag does not authenticate (nothing meaningful is in `plaintext`).
  bool decrypt_frame(std::uint64_t index, std::span<const std::byte> stored, std::span<std::byte> plaintext);

 private:
  void encrypt_frame(std::uint64_t index, std::span<const std::byte> plaintext, std::byte* out);
  std::array<unsigned char, 12> nonce(std::uint64_t index) const;
  std::string aad(std::uint64_t index) const;

  struct Context;
  Context* ctx_;
  EncryptionKey key_;
  std::string identity_;  // "<checkpoint>/<shard>"
  ShardSalt salt_;
  std::uint64_t frame_bytes_;
};

}  // namespace ronde::checkpoint::detail
