// Element types ronde moves and reduces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "ronde/core/half.h"

namespace ronde {

enum class DType : std::uint8_t { F16, BF16, F32, F64, I32, I64, U8 };

// Bytes per element.
std::size_t dtype_size(DType dtype);
// "f16", "bf16", "f32", "f64", "i32", "i64", "u8".
std::string_view to_string(DType dtype);
// Inverse of to_string; throws Error(InvalidArgument) naming the text for anything else.
DType parse_dtype(std::string_view name);
bool is_floating_point(DType dtype);

// The DType of a C++ element type: dtype_of<float> == DType::F32.
template <class T>
struct DTypeOf;
template <> struct DTypeOf<Half> { static constexpr DType value = DType::F16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::BF16; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::F32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::F64; };
template <> struct DTypeOf<std::int32_t> { static constexpr DType value = DType::I32; };
template <> struct DTypeOf<std::int64_t> { static constexpr DType value = DType::I64; };
template <> struct DTypeOf<std::uint8_t> { static constexpr DType value = DType::U8; };
template <class T>
inline constexpr DType dtype_of = DTypeOf<std::remove_cv_t<T>>::value;

}  // namespace ronde
