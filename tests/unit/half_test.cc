// f16 / bf16 conversions: widening is exact, narrowing rounds to nearest even. The f16 reference
// is the compiler's own _Float16 (an independent implementation); the bf16 reference picks the
// nearer of the two neighbouring bf16 values in double precision.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

#include "ronde/core/half.h"

namespace {

using ronde::BFloat16;
using ronde::Half;

TEST(Half, EveryHalfWidensExactlyAndRoundTrips) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const Half h{static_cast<std::uint16_t>(bits)};
    const float widened = ronde::half_to_float(h);
    const _Float16 reference = std::bit_cast<_Float16>(static_cast<std::uint16_t>(bits));
    if (std::isnan(static_cast<float>(reference))) {
      ASSERT_TRUE(std::isnan(widened)) << std::hex << bits;
      ASSERT_TRUE(std::isnan(ronde::half_to_float(ronde::float_to_half(widened))));
      continue;
    }
    ASSERT_EQ(std::bit_cast<std::uint32_t>(widened), std::bit_cast<std::uint32_t>(static_cast<float>(reference)))
        << std::hex << bits;
    ASSERT_EQ(ronde::float_to_half(widened).bits, bits) << std::hex << bits;
  }
}

TEST(Half, NarrowingMatchesTheCompilersFloat16) {
  // Every float whose low 13 bits are one of the interesting patterns (exact, just below / at /
  // just above the half-way point) across the whole exponent range, plus random floats.
  auto check = [](std::uint32_t bits) {
    const float value = std::bit_cast<float>(bits);
    if (std::isnan(value)) return;
    const std::uint16_t expected = std::bit_cast<std::uint16_t>(static_cast<_Float16>(value));
    ASSERT_EQ(ronde::float_to_half(value).bits, expected) << "float bits 0x" << std::hex << bits << " = " << value;
  };
  for (std::uint32_t high = 0; high < (1u << 19); ++high) {
    for (std::uint32_t low : {0x0000u, 0x0fffu, 0x1000u, 0x1001u, 0x1fffu}) check((high << 13) | low);
  }
  std::mt19937 generator(7);
  for (int i = 0; i < 2'000'000; ++i) check(generator());
}

TEST(Half, Specials) {
  EXPECT_EQ(ronde::float_to_half(65504.0f).bits, 0x7bff);     // largest finite
  EXPECT_EQ(ronde::float_to_half(65519.99f).bits, 0x7bff);    // below the half-way point
  EXPECT_EQ(ronde::float_to_half(65520.0f).bits, 0x7c00);     // ties to even: infinity
  EXPECT_EQ(ronde::float_to_half(-INFINITY).bits, 0xfc00);
  EXPECT_EQ(ronde::float_to_half(0x1p-24f).bits, 0x0001);     // smallest subnormal
  EXPECT_EQ(ronde::float_to_half(0x1p-25f).bits, 0x0000);     // tie: rounds to even (zero)
  EXPECT_EQ(ronde::float_to_half(-0.0f).bits, 0x8000);
  EXPECT_TRUE(std::isnan(ronde::half_to_float(ronde::float_to_half(NAN))));
}

double nearest_bfloat16_reference(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t down = bits & 0xffff0000u;
  const std::uint32_t up = down + 0x10000u;
  const double low = std::bit_cast<float>(down), high = std::bit_cast<float>(up);
  const double distance_low = std::abs(static_cast<double>(value) - low);
  const double distance_high = std::abs(high - static_cast<double>(value));
  if (distance_low < distance_high) return low;
  if (distance_high < distance_low) return high;
  return ((down >> 16) & 1u) ? high : low;  // tie: the even one
}

TEST(BFloat16, NarrowingRoundsToNearestEven) {
  std::mt19937 generator(11);
  for (int i = 0; i < 2'000'000; ++i) {
    std::uint32_t bits = generator();
    if (i % 4 == 0) bits = (bits & 0xffff0000u) | 0x8000u;  // exact ties
    const float value = std::bit_cast<float>(bits);
    if (std::isnan(value) || std::isinf(value) || std::abs(value) > 3.3e38f) continue;
    const float narrowed = ronde::bfloat16_to_float(ronde::float_to_bfloat16(value));
    ASSERT_EQ(static_cast<double>(narrowed), nearest_bfloat16_reference(value)) << std::hex << bits;
  }
}

TEST(BFloat16, Specials) {
  EXPECT_EQ(ronde::float_to_bfloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(ronde::float_to_bfloat16(-INFINITY).bits, 0xff80);
  EXPECT_EQ(ronde::float_to_bfloat16(3.4e38f).bits, 0x7f80);  // rounds up past the largest finite
  EXPECT_TRUE(std::isnan(ronde::bfloat16_to_float(ronde::float_to_bfloat16(NAN))));
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {  // every bf16 round-trips
    const float widened = ronde::bfloat16_to_float(BFloat16{static_cast<std::uint16_t>(bits)});
    if (std::isnan(widened)) continue;
    ASSERT_EQ(ronde::float_to_bfloat16(widened).bits, bits);
  }
}

}  // namespace
