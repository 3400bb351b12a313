// The framed AES-256-GCM cipher alone (checkpoint/src/ckpt/frame_cipher.h): sizes and frame spans,
// round trips at every frame boundary, and authentication failures for a flipped byte, a frame
// moved to another position, shard or checkpoint, a wrong salt or a wrong key.
#include <gtest/gtest.h>

#include <numeric>

#include "ckpt/frame_cipher.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {
namespace {

EncryptionKey key_of(std::uint8_t first) {
  EncryptionKey key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<std::byte>(first + i);
  return key;
}

std::vector<std::byte> plaintext(std::size_t n) {
  std::vector<std::byte> bytes(n);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::byte>((i * 131 + 7) & 0xff);
  return bytes;
}

constexpr std::uint64_t kFrame = 64;
constexpr std::uint64_t kStoredFrame = kFrame + kFrameTagBytes;
const ShardSalt kSalt{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                      std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}};

TEST(FrameCipher, Sizes) {
  EXPECT_EQ(frame_count(0, kFrame), 0u);
  EXPECT_EQ(frame_count(1, kFrame), 1u);
  EXPECT_EQ(frame_count(64, kFrame), 1u);
  EXPECT_EQ(frame_count(65, kFrame), 2u);
  EXPECT_EQ(encrypted_size(0, kFrame), 0u);
  EXPECT_EQ(encrypted_size(65, kFrame), 65u + 32u);
  const FrameSpan span = frames_for(60, 10, 200, kFrame);  // bytes 60..70: frames 0 and 1
  EXPECT_EQ(span.first_frame, 0u);
  EXPECT_EQ(span.frames, 2u);
  EXPECT_EQ(span.stored_offset, 0u);
  EXPECT_EQ(span.stored_length, 2 * kStoredFrame);
  const FrameSpan tail = frames_for(190, 10, 200, kFrame);  // the short last frame (bytes 192..200)
  EXPECT_EQ(tail.first_frame, 2u);
  EXPECT_EQ(tail.frames, 2u);
  EXPECT_EQ(tail.stored_offset, 2 * kStoredFrame);
  EXPECT_EQ(tail.stored_length, kStoredFrame + 8 + kFrameTagBytes);
}

TEST(FrameCipher, SaltHex) {
  EXPECT_EQ(salt_to_hex(kSalt), "0102030405060708");
  EXPECT_EQ(salt_from_hex("0102030405060708"), kSalt);
  EXPECT_FALSE(salt_from_hex("01020304050607").has_value());
  EXPECT_FALSE(salt_from_hex("010203040506070G").has_value());
  EXPECT_NE(random_salt(), random_salt());
}

TEST(FrameCipher, RoundTripsEveryFrameOfShardsOfEverySize) {
  for (std::size_t n : {1, 63, 64, 65, 128, 200, 1000}) {
    const auto plain = plaintext(n);
    std::vector<std::byte> stored;
    FrameCipher(key_of(1), "ckpt-000000000001-00000000", "rank-00000-000.shard", kSalt, kFrame)
        .encrypt_shard(plain, stored);
    ASSERT_EQ(stored.size(), encrypted_size(n, kFrame));
    EXPECT_NE(std::vector<std::byte>(stored.begin(), stored.begin() + std::min<std::size_t>(n, kFrame)),
              std::vector<std::byte>(plain.begin(), plain.begin() + std::min<std::size_t>(n, kFrame)));
    FrameCipher reader(key_of(1), "ckpt-000000000001-00000000", "rank-00000-000.shard", kSalt, kFrame);
    std::vector<std::byte> back(n);
    for (std::uint64_t f = 0; f < frame_count(n, kFrame); ++f) {
      const std::uint64_t length = std::min<std::uint64_t>(kFrame, n - f * kFrame);
      ASSERT_TRUE(reader.decrypt_frame(f, std::span<const std::byte>(stored).subspan(f * kStoredFrame, length + 16),
                                       std::span<std::byte>(back).subspan(f * kFrame, length)))
          << "size " << n << " frame " << f;
    }
    EXPECT_EQ(back, plain) << "size " << n;
  }
}

TEST(FrameCipher, AuthenticationFailsForAlteredOrMovedFrames) {
  const auto plain = plaintext(3 * kFrame);
  std::vector<std::byte> stored;
  FrameCipher(key_of(1), "ckpt-000000000001-00000000", "rank-00000-000.shard", kSalt, kFrame).encrypt_shard(plain, stored);
  std::vector<std::byte> out(kFrame);
  const auto frame = [&](std::uint64_t f) { return std::span<const std::byte>(stored).subspan(f * kStoredFrame, kStoredFrame); };
  const auto decrypts = [&](FrameCipher& cipher, std::uint64_t index, std::span<const std::byte> bytes) {
    return cipher.decrypt_frame(index, bytes, out);
  };
  FrameCipher right(key_of(1), "ckpt-000000000001-00000000", "rank-00000-000.shard", kSalt, kFrame);
  EXPECT_TRUE(decrypts(right, 1, frame(1)));
  EXPECT_FALSE(decrypts(right, 2, frame(1)));  // moved to another position
  std::vector<std::byte> flipped(frame(1).begin(), frame(1).end());
  flipped[10] ^= std::byte{0x80};
  EXPECT_FALSE(decrypts(right, 1, flipped));  // ciphertext altered
  flipped = std::vector<std::byte>(frame(1).begin(), frame(1).end());
  flipped.back() ^= std::byte{0x01};
  EXPECT_FALSE(decrypts(right, 1, flipped));  // tag altered
  FrameCipher other_shard(key_of(1), "ckpt-000000000001-00000000", "rank-00001-000.shard", kSalt, kFrame);
  EXPECT_FALSE(decrypts(other_shard, 1, frame(1)));
  FrameCipher other_checkpoint(key_of(1), "ckpt-000000000001-00000001", "rank-00000-000.shard", kSalt, kFrame);
  EXPECT_FALSE(decrypts(other_checkpoint, 1, frame(1)));
  ShardSalt salt = kSalt;
  salt[0] = std::byte{9};
  FrameCipher other_salt(key_of(1), "ckpt-000000000001-00000000", "rank-00000-000.shard", salt, kFrame);
  EXPECT_FALSE(decrypts(other_salt, 1, frame(1)));
  FrameCipher other_key(key_of(2), "ckpt-000000000001-00000000", "rank-00000-000.shard", kSalt, kFrame);
  EXPECT_FALSE(decrypts(other_key, 1, frame(1)));
  EXPECT_FALSE(decrypts(right, 1, frame(1).subspan(0, kStoredFrame - 1)));  // truncated
}

TEST(FrameCipher, RejectsFrameSizesOutOfRange) {
  EXPECT_THROW({ FrameCipher cipher(key_of(1), "c", "s", kSalt, 0); }, ronde::Error);
  EXPECT_THROW({ FrameCipher cipher(key_of(1), "c", "s", kSalt, kMaxEncryptionFrameBytes + 1); }, ronde::Error);
}

}  // namespace
}  // namespace ronde::checkpoint::detail
