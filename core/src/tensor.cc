#include "ronde/core/tensor.h"

#include <sstream>

#include "ronde/core/error.h"

namespace ronde {

std::string Device::to_string() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

std::string shape_to_string(const std::vector<std::int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << ']';
  return out.str();
}

Tensor::Tensor(void* data, DType dtype, std::vector<std::int64_t> shape, Device device)
    : data_(data), dtype_(dtype), shape_(std::move(shape)), device_(device), numel_(1) {
  const std::size_t element_bytes = dtype_size(dtype_);  // rejects values outside the enum
  bool empty = false;
  for (std::int64_t dim : shape_) {
    if (dim < 0) {
      throw Error(ErrorCode::InvalidArgument, "tensor shape " + shape_to_string(shape_) + " has a negative dimension");
    }
    empty = empty || dim == 0;
  }
  // A zero dimension anywhere makes the tensor empty, whatever the others; otherwise the element
  // count, and the byte count nbytes() derives from it, must fit in an int64.
  if (empty) {
    numel_ = 0;
  } else {
    std::int64_t bytes = 0;
    for (std::int64_t dim : shape_) {
      if (__builtin_mul_overflow(numel_, dim, &numel_) ||
          __builtin_mul_overflow(numel_, static_cast<std::int64_t>(element_bytes), &bytes)) {
        throw Error(ErrorCode::InvalidArgument, "tensor shape " + shape_to_string(shape_) + " of " +
                                                    std::string(to_string(dtype_)) +
                                                    " has more bytes than a 64-bit size can count");
      }
    }
  }
  if (device_.is_cuda() && device_.index < 0) {
    throw Error(ErrorCode::InvalidArgument, "CUDA device ordinal " + std::to_string(device_.index) + " is negative");
  }
  if (data_ == nullptr && numel_ != 0) {
    throw Error(ErrorCode::InvalidArgument,
                "tensor " + shape_to_string(shape_) + " has " + std::to_string(numel_) + " elements but no data pointer");
  }
}

std::string Tensor::describe() const {
  return std::string(to_string(dtype_)) + shape_to_string(shape_) + " on " + device_.to_string();
}

}  // namespace ronde
