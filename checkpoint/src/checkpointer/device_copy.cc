#include "checkpointer/device_copy.h"

#include <cstring>
#include <map>
#include <string>

#include "ronde/core/error.h"

#if RONDE_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace ronde::checkpoint::detail {
namespace {

#if !RONDE_HAVE_CUDA
[[noreturn]] void no_cuda(const Tensor& tensor) {
  throw Error(ErrorCode::InvalidArgument,
              "checkpoint: " + tensor.describe() + " is a CUDA tensor, and this build of ronde has no CUDA");
}
#endif

#if RONDE_HAVE_CUDA
void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw Error(ErrorCode::Internal, std::string("checkpoint: ") + what + ": " + cudaGetErrorString(status));
  }
}
#endif

}  // namespace

// One stream per device ordinal, created on first use.
struct DeviceCopier::Streams {
#if RONDE_HAVE_CUDA
  std::map<int, cudaStream_t> by_device;

  cudaStream_t on(int device) {
    auto found = by_device.find(device);
    if (found != by_device.end()) return found->second;
    check(cudaSetDevice(device), "cudaSetDevice");
    cudaStream_t stream = nullptr;
    check(cudaStreamCreate(&stream), "cudaStreamCreate");
    by_device.emplace(device, stream);
    return stream;
  }
#endif
};

DeviceCopier::DeviceCopier() : streams_(std::make_unique<Streams>()) {}

DeviceCopier::~DeviceCopier() {
#if RONDE_HAVE_CUDA
  for (auto& [device, stream] : streams_->by_device) {
    cudaSetDevice(device);
    cudaStreamSynchronize(stream);
    cudaStreamDestroy(stream);
  }
#endif
}

bool DeviceCopier::supports_cuda() {
#if RONDE_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

void DeviceCopier::to_host(std::byte* destination, const Tensor& source, std::size_t source_offset, std::size_t bytes) {
  const auto* from = static_cast<const std::byte*>(source.data()) + source_offset;
  if (source.device().is_cpu()) {
    std::memcpy(destination, from, bytes);
    return;
  }
#if RONDE_HAVE_CUDA
  const cudaStream_t stream = streams_->on(source.device().index);
  check(cudaMemcpyAsync(destination, from, bytes, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync to host");
#else
  no_cuda(source);
#endif
}

void DeviceCopier::to_tensor(const Tensor& destination, std::size_t destination_offset, const std::byte* source,
                             std::size_t bytes) {
  auto* to = static_cast<std::byte*>(destination.data()) + destination_offset;
  if (destination.device().is_cpu()) {
    std::memcpy(to, source, bytes);
    return;
  }
#if RONDE_HAVE_CUDA
  const cudaStream_t stream = streams_->on(destination.device().index);
  check(cudaMemcpyAsync(to, source, bytes, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync to device");
#else
  no_cuda(destination);
#endif
}

void DeviceCopier::finish() {
#if RONDE_HAVE_CUDA
  for (auto& [device, stream] : streams_->by_device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  }
#endif
}

}  // namespace ronde::checkpoint::detail
