#include "server/element_ops.h"

#include <cstring>

#include "ronde/core/error.h"
#include "ronde/core/half.h"

namespace ronde::ps::server {
namespace {

// Loads and stores one element of `dtype` through its accumulator type (double or int64).
template <class T>
struct Element;
template <> struct Element<float> {
  using Acc = double;
  static double load(const std::byte* p) { float v; std::memcpy(&v, p, sizeof v); return v; }
  static void store(std::byte* p, double v) { const float f = static_cast<float>(v); std::memcpy(p, &f, sizeof f); }
};
template <> struct Element<double> {
  using Acc = double;
  static double load(const std::byte* p) { double v; std::memcpy(&v, p, sizeof v); return v; }
  static void store(std::byte* p, double v) { std::memcpy(p, &v, sizeof v); }
};
template <> struct Element<Half> {
  using Acc = double;
  static double load(const std::byte* p) { Half h; std::memcpy(&h, p, sizeof h); return half_to_float(h); }
  static void store(std::byte* p, double v) { const Half h = float_to_half(static_cast<float>(v)); std::memcpy(p, &h, sizeof h); }
};
template <> struct Element<BFloat16> {
  using Acc = double;
  static double load(const std::byte* p) { BFloat16 b; std::memcpy(&b, p, sizeof b); return bfloat16_to_float(b); }
  static void store(std::byte* p, double v) {
    const BFloat16 b = float_to_bfloat16(static_cast<float>(v));
    std::memcpy(p, &b, sizeof b);
  }
};
template <class I>
struct IntegerElement {
  using Acc = std::int64_t;
  static std::int64_t load(const std::byte* p) { I v; std::memcpy(&v, p, sizeof v); return static_cast<std::int64_t>(v); }
  // Two's-complement wrap for narrower types (u8 wraps modulo 256).
  static void store(std::byte* p, std::int64_t v) { const I i = static_cast<I>(v); std::memcpy(p, &i, sizeof i); }
};
template <> struct Element<std::int32_t> : IntegerElement<std::int32_t> {};
template <> struct Element<std::int64_t> : IntegerElement<std::int64_t> {};
template <> struct Element<std::uint8_t> : IntegerElement<std::uint8_t> {};

// a + b in the accumulator type. Integer sums wrap modulo 2^64 (as narrower integers wrap when
// stored) instead of overflowing int64, which is undefined behaviour.
inline double plus(double a, double b) { return a + b; }
inline std::int64_t plus(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

template <class Fn>
void dispatch(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::F16: return fn(Element<Half>{}, sizeof(Half));
    case DType::BF16: return fn(Element<BFloat16>{}, sizeof(BFloat16));
    case DType::F32: return fn(Element<float>{}, sizeof(float));
    case DType::F64: return fn(Element<double>{}, sizeof(double));
    case DType::I32: return fn(Element<std::int32_t>{}, sizeof(std::int32_t));
    case DType::I64: return fn(Element<std::int64_t>{}, sizeof(std::int64_t));
    case DType::U8: return fn(Element<std::uint8_t>{}, sizeof(std::uint8_t));
  }
  throw Error(ErrorCode::Internal, "element_ops: unknown dtype");
}

template <class Acc>
Acc* acc_at(std::byte* acc, std::size_t i) { return reinterpret_cast<Acc*>(acc) + i; }
template <class Acc>
const Acc* acc_at(const std::byte* acc, std::size_t i) { return reinterpret_cast<const Acc*>(acc) + i; }

// f32 and f64 buffers are aligned (they come from new/vector); plain typed loops vectorise.
template <class T>
const T* typed(const std::byte* p) { return reinterpret_cast<const T*>(p); }
template <class T>
T* typed(std::byte* p) { return reinterpret_cast<T*>(p); }

}  // namespace

DType accumulator_dtype(DType dtype) { return is_floating_point(dtype) ? DType::F64 : DType::I64; }

void accumulate(DType dtype, const std::byte* src, std::byte* acc, std::size_t n) {
  if (dtype == DType::F32) {
    const float* in = typed<float>(src);
    double* out = typed<double>(acc);
    for (std::size_t i = 0; i < n; ++i) out[i] += static_cast<double>(in[i]);
    return;
  }
  dispatch(dtype, [&](auto element, std::size_t size) {
    using E = decltype(element);
    using Acc = typename E::Acc;
    Acc* out = acc_at<Acc>(acc, 0);
    for (std::size_t i = 0; i < n; ++i) out[i] = plus(out[i], E::load(src + i * size));
  });
}

void store_aggregate(DType dtype, const std::byte* acc, std::uint32_t divisor, std::byte* dst, std::size_t n) {
  if (dtype == DType::F32) {
    const double* in = typed<double>(acc);
    float* out = typed<float>(dst);
    const double d = divisor;
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i] / d);
    return;
  }
  dispatch(dtype, [&](auto element, std::size_t size) {
    using E = decltype(element);
    using Acc = typename E::Acc;
    const Acc* in = acc_at<Acc>(acc, 0);
    const Acc d = static_cast<Acc>(divisor);
    for (std::size_t i = 0; i < n; ++i) E::store(dst + i * size, divisor == 1 ? in[i] : in[i] / d);
  });
}

void add_aggregate(DType dtype, const std::byte* acc, std::uint32_t divisor, std::byte* values, std::size_t n) {
  dispatch(dtype, [&](auto element, std::size_t size) {
    using E = decltype(element);
    using Acc = typename E::Acc;
    const Acc* in = acc_at<Acc>(acc, 0);
    const Acc d = static_cast<Acc>(divisor);
    for (std::size_t i = 0; i < n; ++i) {
      std::byte* p = values + i * size;
      E::store(p, plus(E::load(p), divisor == 1 ? in[i] : in[i] / d));
    }
  });
}

void add_elements(DType dtype, const std::byte* src, std::byte* values, std::size_t n) {
  // The typed adds give what the generic path below gives: for f32, rounding the exact sum to
  // f64 and then to f32 equals rounding it to f32 once (53 >= 2 * 24 + 2 bits).
  if (dtype == DType::F32) {
    const float* in = typed<float>(src);
    float* out = typed<float>(values);
    for (std::size_t i = 0; i < n; ++i) out[i] += in[i];
    return;
  }
  if (dtype == DType::F64) {
    const double* in = typed<double>(src);
    double* out = typed<double>(values);
    for (std::size_t i = 0; i < n; ++i) out[i] += in[i];
    return;
  }
  dispatch(dtype, [&](auto element, std::size_t size) {
    using E = decltype(element);
    for (std::size_t i = 0; i < n; ++i) {
      std::byte* p = values + i * size;
      E::store(p, plus(E::load(p), E::load(src + i * size)));
    }
  });
}

}  // namespace ronde::ps::server
