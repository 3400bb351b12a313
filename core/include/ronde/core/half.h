// 16-bit floating-point storage types and their exact conversions to and from float.
//
// Half is IEEE 754 binary16; BFloat16 is the upper half of a binary32. Widening to float is
// exact. Narrowing rounds to nearest, ties to even; overflow gives infinity; NaN stays NaN
// (quiet). Arithmetic is done by the caller in float.
#pragma once

#include <bit>
#include <cstdint>

namespace ronde {

struct Half {
  std::uint16_t bits = 0;
};
struct BFloat16 {
  std::uint16_t bits = 0;
};

inline float half_to_float(Half h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h.bits & 0x8000u) << 16;
  const std::uint32_t exponent = (h.bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = h.bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return std::bit_cast<float>(std::bit_cast<std::uint32_t>(magnitude) | sign);
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  // Normal: rebias the exponent from 15 to 127 (+112) and widen the mantissa.
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline Half float_to_half(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  std::uint32_t magnitude = x & 0x7fffffffu;
  if (magnitude > 0x7f800000u) {  // NaN: keep the top payload bits, force quiet
    return {static_cast<std::uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu))};
  }
  if (magnitude >= 0x477ff000u) {  // >= 65520 (half-way past 65504) or inf: rounds to inf
    return {static_cast<std::uint16_t>(sign | 0x7c00u)};
  }
  if (magnitude >= 0x38800000u) {  // normal half range, >= 2^-14
    // Rebias the exponent (-112 << 23) and add the round-to-nearest-even increment: 0xfff plus
    // the lowest kept mantissa bit. A mantissa carry correctly bumps the exponent.
    const std::uint32_t lowest_kept = (magnitude >> 13) & 1u;
    magnitude += 0xc8000fffu + lowest_kept;
    return {static_cast<std::uint16_t>(sign | (magnitude >> 13))};
  }
  // Subnormal half (or zero): adding 0.5f aligns the value so that float's own round-to-nearest-
  // even drops exactly the bits below 2^-24, the half subnormal spacing.
  const float aligned = std::bit_cast<float>(magnitude) + 0.5f;
  const std::uint32_t units = std::bit_cast<std::uint32_t>(aligned) - std::bit_cast<std::uint32_t>(0.5f);
  return {static_cast<std::uint16_t>(sign | units)};
}

inline float bfloat16_to_float(BFloat16 b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b.bits) << 16);
}

inline BFloat16 float_to_bfloat16(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) {  // NaN: truncate and force quiet
    return {static_cast<std::uint16_t>((x >> 16) | 0x0040u)};
  }
  // Round to nearest even on the 16 dropped bits; a carry into the exponent is correct
  // (including overflow of the largest finite values to infinity).
  const std::uint32_t lowest_kept = (x >> 16) & 1u;
  return {static_cast<std::uint16_t>((x + 0x7fffu + lowest_kept) >> 16)};
}

}  // namespace ronde
