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
  dtype_size(dtype_);  // rejects values outside the enum
  for (std::int64_t dim : shape_) {
    if (dim < 0) {
      throw Error(ErrorCode::InvalidArgument, "tensor shape " + shape_to_string(shape_) + " has a negative dimension");
    }
    numel_ *= dim;
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
