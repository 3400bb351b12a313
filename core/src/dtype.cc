#include "ronde/core/dtype.h"

#include <string>

#include "ronde/core/error.h"

namespace ronde {

namespace {
constexpr DType kAllDTypes[] = {DType::F16, DType::BF16, DType::F32, DType::F64,
                                DType::I32, DType::I64, DType::U8};
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F16:
    case DType::BF16: return 2;
    case DType::F32:
    case DType::I32: return 4;
    case DType::F64:
    case DType::I64: return 8;
    case DType::U8: return 1;
  }
  throw Error(ErrorCode::InvalidArgument, "unknown dtype value " + std::to_string(static_cast<int>(dtype)));
}

std::string_view to_string(DType dtype) {
  switch (dtype) {
    case DType::F16: return "f16";
    case DType::BF16: return "bf16";
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::I32: return "i32";
    case DType::I64: return "i64";
    case DType::U8: return "u8";
  }
  return "unknown";
}

DType parse_dtype(std::string_view name) {
  for (DType dtype : kAllDTypes) {
    if (to_string(dtype) == name) return dtype;
  }
  throw Error(ErrorCode::InvalidArgument,
              "unknown dtype '" + std::string(name) + "' (expected f16, bf16, f32, f64, i32, i64 or u8)");
}

bool is_floating_point(DType dtype) {
  return dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F32 || dtype == DType::F64;
}

}  // namespace ronde
