#include "cuda/cuda_support.h"

#include <string>

#include "ronde/core/error.h"

namespace ronde::cuda {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw Error(ErrorCode::Internal, std::string(what) + ": " + cudaGetErrorString(status));
  }
}

DeviceGuard::DeviceGuard(int device) {
  check(cudaGetDevice(&previous_), "cudaGetDevice");
  check(cudaSetDevice(device), "cudaSetDevice");
}

DeviceGuard::~DeviceGuard() { cudaSetDevice(previous_); }

StreamOrder::StreamOrder(int device) {
  DeviceGuard guard(device);
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  check(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming), "cudaEventCreate");
  check(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), "cudaEventCreate");
}

StreamOrder::~StreamOrder() {
  if (done_) cudaEventDestroy(done_);
  if (ready_) cudaEventDestroy(ready_);
  if (stream_) cudaStreamDestroy(stream_);
}

void StreamOrder::after(cudaStream_t caller) {
  check(cudaEventRecord(ready_, caller), "cudaEventRecord on the caller's stream");
  check(cudaStreamWaitEvent(stream_, ready_, 0), "cudaStreamWaitEvent");
}

void StreamOrder::before(cudaStream_t caller) {
  check(cudaEventRecord(done_, stream_), "cudaEventRecord");
  check(cudaStreamWaitEvent(caller, done_, 0), "cudaStreamWaitEvent on the caller's stream");
}

Buffer::~Buffer() {
  if (data_ == nullptr) return;
  if (kind_ == Kind::PinnedHost) cudaFreeHost(data_);
  else cudaFree(data_);
}

void* Buffer::reserve(std::size_t bytes) {
  if (bytes <= bytes_ && data_ != nullptr) return data_;
  if (data_ != nullptr) {
    if (kind_ == Kind::PinnedHost) cudaFreeHost(data_);
    else cudaFree(data_);
    data_ = nullptr;
  }
  bytes_ = bytes ? bytes : 1;
  if (kind_ == Kind::PinnedHost) check(cudaMallocHost(&data_, bytes_), "cudaMallocHost of the staging buffer");
  else check(cudaMalloc(&data_, bytes_), "cudaMalloc of a device buffer");
  return data_;
}

}  // namespace ronde::cuda
