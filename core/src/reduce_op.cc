// Element-wise reduction kernels. Each is one pass over a, b and out: memory-bound loops written
// so that the compiler vectorises them (this file is built with -O3; out may alias a or b, which
// the compiler handles with a runtime overlap check).
#include "ronde/core/reduce_op.h"

#include <algorithm>
#include <string>
#include <type_traits>

#include "ronde/core/error.h"

namespace ronde {

std::string_view to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Average: return "average";
    case ReduceOp::Min: return "min";
    case ReduceOp::Max: return "max";
    case ReduceOp::Product: return "product";
  }
  return "unknown";
}

ReduceOp parse_reduce_op(std::string_view name) {
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Average, ReduceOp::Min, ReduceOp::Max, ReduceOp::Product}) {
    if (to_string(op) == name) return op;
  }
  throw Error(ErrorCode::InvalidArgument,
              "unknown reduce op '" + std::string(name) + "' (expected sum, average, min, max or product)");
}

namespace {

// Integer sum and product wrap: compute them in the unsigned type of the same width, where
// overflow is defined, and convert back.
template <class T, bool = std::is_integral_v<T>>
struct WrappingOf { using type = T; };
template <class T>
struct WrappingOf<T, true> { using type = std::make_unsigned_t<T>; };
template <class T>
using Wrapping = typename WrappingOf<T>::type;

struct SumOp {
  template <class T> static T apply(T x, T y) {
    return static_cast<T>(static_cast<Wrapping<T>>(x) + static_cast<Wrapping<T>>(y));
  }
};
struct ProductOp {
  template <class T> static T apply(T x, T y) {
    return static_cast<T>(static_cast<Wrapping<T>>(x) * static_cast<Wrapping<T>>(y));
  }
};
struct MinOp {
  template <class T> static T apply(T x, T y) { return y < x ? y : x; }
};
struct MaxOp {
  template <class T> static T apply(T x, T y) { return x < y ? y : x; }
};

template <class Op, class T>
void combine(const T* a, const T* b, T* out, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) out[i] = Op::apply(a[i], b[i]);
}

// 16-bit floats: widen both operands to float, combine, round once.
template <class Op, class Storage, float (*Widen)(Storage), Storage (*Narrow)(float)>
void combine_narrow(const Storage* a, const Storage* b, Storage* out, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) out[i] = Narrow(Op::apply(Widen(a[i]), Widen(b[i])));
}

template <class Op>
void combine_dtype(DType dtype, const void* a, const void* b, void* out, std::size_t count) {
  switch (dtype) {
    case DType::F16:
      return combine_narrow<Op, Half, half_to_float, float_to_half>(
          static_cast<const Half*>(a), static_cast<const Half*>(b), static_cast<Half*>(out), count);
    case DType::BF16:
      return combine_narrow<Op, BFloat16, bfloat16_to_float, float_to_bfloat16>(
          static_cast<const BFloat16*>(a), static_cast<const BFloat16*>(b), static_cast<BFloat16*>(out), count);
    case DType::F32:
      return combine<Op>(static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(out), count);
    case DType::F64:
      return combine<Op>(static_cast<const double*>(a), static_cast<const double*>(b), static_cast<double*>(out), count);
    case DType::I32:
      return combine<Op>(static_cast<const std::int32_t*>(a), static_cast<const std::int32_t*>(b),
                         static_cast<std::int32_t*>(out), count);
    case DType::I64:
      return combine<Op>(static_cast<const std::int64_t*>(a), static_cast<const std::int64_t*>(b),
                         static_cast<std::int64_t*>(out), count);
    case DType::U8:
      return combine<Op>(static_cast<const std::uint8_t*>(a), static_cast<const std::uint8_t*>(b),
                         static_cast<std::uint8_t*>(out), count);
  }
  throw Error(ErrorCode::InvalidArgument, "reduce: unknown dtype");
}

template <class T>
void divide_floating(T* data, std::size_t count, T divisor) {
  for (std::size_t i = 0; i < count; ++i) data[i] /= divisor;
}

template <class T>
void divide_integer(T* data, std::size_t count, T divisor) {
  for (std::size_t i = 0; i < count; ++i) data[i] = static_cast<T>(data[i] / divisor);
}

template <class Storage, float (*Widen)(Storage), Storage (*Narrow)(float)>
void divide_narrow(Storage* data, std::size_t count, float divisor) {
  for (std::size_t i = 0; i < count; ++i) data[i] = Narrow(Widen(data[i]) / divisor);
}

template <class T>
void scale_floating(T* data, std::size_t count, T factor) {
  for (std::size_t i = 0; i < count; ++i) data[i] *= factor;
}

template <class Storage, float (*Widen)(Storage), Storage (*Narrow)(float)>
void scale_narrow(Storage* data, std::size_t count, float factor) {
  for (std::size_t i = 0; i < count; ++i) data[i] = Narrow(Widen(data[i]) * factor);
}

}  // namespace

void scale_elements(DType dtype, void* data, std::size_t count, double factor) {
  switch (dtype) {
    case DType::F16:
      return scale_narrow<Half, half_to_float, float_to_half>(static_cast<Half*>(data), count, static_cast<float>(factor));
    case DType::BF16:
      return scale_narrow<BFloat16, bfloat16_to_float, float_to_bfloat16>(static_cast<BFloat16*>(data), count,
                                                                          static_cast<float>(factor));
    case DType::F32: return scale_floating(static_cast<float*>(data), count, static_cast<float>(factor));
    case DType::F64: return scale_floating(static_cast<double*>(data), count, factor);
    default: break;
  }
  throw Error(ErrorCode::InvalidArgument, "scale_elements: " + std::string(to_string(dtype)) + " is not a floating-point dtype");
}

void reduce_elements(ReduceOp op, DType dtype, const void* a, const void* b, void* out, std::size_t count) {
  if (count == 0) return;
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Average: return combine_dtype<SumOp>(dtype, a, b, out, count);
    case ReduceOp::Min: return combine_dtype<MinOp>(dtype, a, b, out, count);
    case ReduceOp::Max: return combine_dtype<MaxOp>(dtype, a, b, out, count);
    case ReduceOp::Product: return combine_dtype<ProductOp>(dtype, a, b, out, count);
  }
  throw Error(ErrorCode::InvalidArgument, "reduce: unknown reduce op");
}

void divide_elements(DType dtype, void* data, std::size_t count, std::int64_t divisor) {
  if (divisor == 0) throw Error(ErrorCode::InvalidArgument, "divide_elements: divisor is zero");
  if (count == 0 || divisor == 1) return;
  switch (dtype) {
    case DType::F16:
      return divide_narrow<Half, half_to_float, float_to_half>(static_cast<Half*>(data), count,
                                                                static_cast<float>(divisor));
    case DType::BF16:
      return divide_narrow<BFloat16, bfloat16_to_float, float_to_bfloat16>(static_cast<BFloat16*>(data), count,
                                                                            static_cast<float>(divisor));
    case DType::F32: return divide_floating(static_cast<float*>(data), count, static_cast<float>(divisor));
    case DType::F64: return divide_floating(static_cast<double*>(data), count, static_cast<double>(divisor));
    case DType::I32:
      return divide_integer(static_cast<std::int32_t*>(data), count, static_cast<std::int32_t>(divisor));
    case DType::I64: return divide_integer(static_cast<std::int64_t*>(data), count, divisor);
    case DType::U8:
      return divide_integer(static_cast<std::uint8_t*>(data), count, static_cast<std::uint8_t>(divisor));
  }
  throw Error(ErrorCode::InvalidArgument, "divide: unknown dtype");
}

}  // namespace ronde
