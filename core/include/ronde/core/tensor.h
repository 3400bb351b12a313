// Tensor: a non-owning view of a dense, contiguous (row-major) array somewhere in memory.
//
// ronde never allocates or frees a tensor's memory; the caller keeps it alive for as long as an
// operation on it runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ronde/core/dtype.h"

namespace ronde {

struct Device {
  enum class Kind : std::uint8_t { CPU, CUDA };
  Kind kind = Kind::CPU;
  int index = 0;  // CUDA ordinal; 0 for CPU

  static Device cpu() { return {Kind::CPU, 0}; }
  static Device cuda(int ordinal) { return {Kind::CUDA, ordinal}; }
  bool is_cpu() const { return kind == Kind::CPU; }
  bool is_cuda() const { return kind == Kind::CUDA; }
  std::string to_string() const;  // "cpu" or "cuda:N"
  friend bool operator==(const Device&, const Device&) = default;
};

class Tensor {
 public:
  Tensor() = default;
  // Throws Error(InvalidArgument) for a negative dimension, a negative CUDA ordinal, or a null
  // data pointer with a non-zero element count.
  Tensor(void* data, DType dtype, std::vector<std::int64_t> shape, Device device = Device::cpu());

  // A 1-D view of host memory: Tensor::of(std::span<float>(v)).
  template <class T>
  static Tensor of(std::span<T> values) {
    return Tensor(const_cast<std::remove_const_t<T>*>(values.data()), dtype_of<T>,
                  {static_cast<std::int64_t>(values.size())});
  }
  template <class T>
  static Tensor of(std::vector<T>& values) {
    return of(std::span<T>(values));
  }

  void* data() const { return data_; }
  DType dtype() const { return dtype_; }
  const std::vector<std::int64_t>& shape() const { return shape_; }
  Device device() const { return device_; }
  std::int64_t numel() const { return numel_; }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel_) * dtype_size(dtype_); }

  // "f32[3,4] on cpu": for error messages and logs.
  std::string describe() const;

 private:
  void* data_ = nullptr;
  DType dtype_ = DType::F32;
  std::vector<std::int64_t> shape_;
  Device device_;
  std::int64_t numel_ = 0;
};

// "[3,4]"
std::string shape_to_string(const std::vector<std::int64_t>& shape);

}  // namespace ronde
