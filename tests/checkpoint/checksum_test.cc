// XXH3-64 checksums: known vectors (computed with `xxhsum -H3` 0.8.1), streaming in any split,
// the text form and its parser.
#include "ronde/checkpoint/checksum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "ronde/core/error.h"

namespace ronde::checkpoint {
namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

// (i * 31 + 7) mod 256 for i in [0, n): a pattern long enough for every XXH3 code path.
std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>((i * 31 + 7) & 0xff);
  return out;
}

TEST(Checksum, KnownVectors) {
  EXPECT_EQ(checksum_hex(bytes_of("")), "xxh3:2d06800538d394c2");
  EXPECT_EQ(checksum_hex(bytes_of("abc")), "xxh3:78af5f94892f3950");
  EXPECT_EQ(checksum_hex(bytes_of("The quick brown fox jumps over the lazy dog")), "xxh3:ce7d19a5418fb365");
  EXPECT_EQ(checksum_hex(pattern(100000)), "xxh3:ccf90df7e7e37036");
  EXPECT_EQ(checksum_of(bytes_of("abc")), 0x78af5f94892f3950ull);
}

TEST(Checksum, StreamingEqualsOneShotForEverySplit) {
  const auto data = pattern(100000);
  const std::uint64_t whole = checksum_of(data);
  for (std::size_t chunk : {1u, 3u, 64u, 239u, 240u, 241u, 1024u, 4096u, 65536u, 100000u}) {
    Checksum sum;
    for (std::size_t offset = 0; offset < data.size(); offset += chunk) {
      sum.update(std::span(data).subspan(offset, std::min(chunk, data.size() - offset)));
    }
    EXPECT_EQ(sum.digest(), whole) << "chunk " << chunk;
    EXPECT_EQ(sum.bytes(), data.size());
  }
}

TEST(Checksum, DigestMidStreamThenContinueAndReset) {
  Checksum sum;
  sum.update("ab");
  EXPECT_EQ(sum.digest(), checksum_of(bytes_of("ab")));
  sum.update("c");
  EXPECT_EQ(sum.hex(), "xxh3:78af5f94892f3950");
  sum.update(std::span<const std::byte>());  // empty updates change nothing
  EXPECT_EQ(sum.hex(), "xxh3:78af5f94892f3950");
  sum.reset();
  EXPECT_EQ(sum.hex(), "xxh3:2d06800538d394c2");
  EXPECT_EQ(sum.bytes(), 0u);

  Checksum moved = std::move(sum);
  moved.update("abc");
  EXPECT_EQ(moved.hex(), "xxh3:78af5f94892f3950");
}

TEST(Checksum, OneFlippedBitChangesTheDigest) {
  auto data = pattern(4096);
  const std::uint64_t before = checksum_of(data);
  data[1234] ^= std::byte{0x10};
  EXPECT_NE(checksum_of(data), before);
}

TEST(Checksum, TextFormRoundTrips) {
  for (std::uint64_t value : {0ull, 1ull, 0x0123456789abcdefull, ~0ull}) {
    const std::string text = format_checksum(value);
    EXPECT_EQ(text.size(), 21u);
    EXPECT_EQ(parse_checksum(text, "test"), value);
  }
  EXPECT_EQ(format_checksum(0x1f), "xxh3:000000000000001f");
}

TEST(Checksum, ParseRefusesMalformedTextNamingIt) {
  for (std::string_view bad : {"", "xxh3:", "xxh3:0123", "crc32c:0123456789abcdef", "xxh3:0123456789ABCDEF",
                               "xxh3:0123456789abcdeg", "xxh3:0123456789abcdef0", "XXH3:0123456789abcdef"}) {
    try {
      parse_checksum(bad, "checksum of shard 'rank-00000-000.shard'");
      FAIL() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Corrupt);
      EXPECT_NE(e.message().find("rank-00000-000.shard"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace ronde::checkpoint
