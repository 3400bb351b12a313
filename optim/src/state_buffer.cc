#include "state_buffer.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "cuda_kernels.h"
#include "ronde/core/error.h"

namespace ronde::optim {

namespace {
// Cache-line (and AVX-512) alignment, so the kernels' loads never straddle lines needlessly.
constexpr std::align_val_t kAlignment{64};
}  // namespace

StateBuffer::StateBuffer(Device device, DType dtype, std::size_t count) : device_(device), dtype_(dtype), count_(count) {
  if (device_.is_cuda()) {
#if defined(RONDE_HAVE_CUDA)
    data_ = kernels::cuda::allocate(device_.index, bytes());
#else
    throw Error(ErrorCode::InvalidArgument, "optimizer state on " + device_.to_string() + " needs a CUDA build of ronde");
#endif
  } else {
    data_ = ::operator new(std::max<std::size_t>(bytes(), 1), kAlignment);
    std::memset(data_, 0, bytes());
  }
}

StateBuffer::~StateBuffer() { release(); }

StateBuffer::StateBuffer(StateBuffer&& other) noexcept
    : device_(other.device_), dtype_(other.dtype_), count_(other.count_), data_(other.data_) {
  other.data_ = nullptr;
  other.count_ = 0;
}

StateBuffer& StateBuffer::operator=(StateBuffer&& other) noexcept {
  if (this != &other) {
    release();
    device_ = other.device_, dtype_ = other.dtype_, count_ = other.count_, data_ = other.data_;
    other.data_ = nullptr;
    other.count_ = 0;
  }
  return *this;
}

void StateBuffer::release() noexcept {
  if (data_ == nullptr) return;
  if (device_.is_cuda()) {
#if defined(RONDE_HAVE_CUDA)
    kernels::cuda::release(data_);
#endif
  } else {
    ::operator delete(data_, kAlignment);
  }
  data_ = nullptr;
}

void StateBuffer::fill(double value) {
  if (value == 0.0) {
    if (!device_.is_cuda()) std::memset(data_, 0, bytes());
    return;  // device buffers are allocated zeroed
  }
  if (device_.is_cuda()) {
#if defined(RONDE_HAVE_CUDA)
    kernels::cuda::fill(device_.index, data_, dtype_ == DType::F64, count_, value);
#endif
    return;
  }
  if (dtype_ == DType::F64) {
    std::fill_n(static_cast<double*>(data_), count_, value);
  } else {
    std::fill_n(static_cast<float*>(data_), count_, static_cast<float>(value));
  }
}

std::vector<std::byte> StateBuffer::to_host() const {
  std::vector<std::byte> out(bytes());
  if (device_.is_cuda()) {
#if defined(RONDE_HAVE_CUDA)
    kernels::cuda::copy_to_host(device_.index, out.data(), data_, bytes());
#endif
  } else if (!out.empty()) {
    std::memcpy(out.data(), data_, bytes());
  }
  return out;
}

void StateBuffer::from_host(const std::byte* source) {
  if (device_.is_cuda()) {
#if defined(RONDE_HAVE_CUDA)
    kernels::cuda::copy_to_device(device_.index, data_, source, bytes());
#endif
  } else if (bytes()) {
    std::memcpy(data_, source, bytes());
  }
}

}  // namespace ronde::optim
