// An owned, zero-initialised array of `count` elements of an F32/F64 dtype on a device: an
// optimizer state slot or a compute-precision copy of a parameter or gradient.
#pragma once

#include <cstddef>
#include <vector>

#include "ronde/core/tensor.h"

namespace ronde::optim {

class StateBuffer {
 public:
  StateBuffer() = default;
  StateBuffer(Device device, DType dtype, std::size_t count);
  ~StateBuffer();
  StateBuffer(StateBuffer&& other) noexcept;
  StateBuffer& operator=(StateBuffer&& other) noexcept;
  StateBuffer(const StateBuffer&) = delete;
  StateBuffer& operator=(const StateBuffer&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return count_ * dtype_size(dtype_); }
  void fill(double value);
  std::vector<std::byte> to_host() const;
  void from_host(const std::byte* bytes);  // exactly bytes() of them

 private:
  void release() noexcept;
  Device device_;
  DType dtype_ = DType::F32;
  std::size_t count_ = 0;
  void* data_ = nullptr;
};

}  // namespace ronde::optim
