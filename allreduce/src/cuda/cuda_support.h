// Small RAII helpers around the CUDA runtime for the device collectives (CUDA builds only).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace ronde::cuda {

// Throws Error(Internal) "<what>: <CUDA's message>" unless `status` is cudaSuccess.
void check(cudaError_t status, const char* what);

// Selects `device` for the calling thread for the lifetime of the guard.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

// The backend's own non-blocking stream and two events to order it against the caller's stream.
class StreamOrder {
 public:
  explicit StreamOrder(int device);
  ~StreamOrder();
  StreamOrder(const StreamOrder&) = delete;
  StreamOrder& operator=(const StreamOrder&) = delete;

  cudaStream_t stream() const { return stream_; }
  // Makes the backend stream wait for the work queued so far on `caller`.
  void after(cudaStream_t caller);
  // Makes `caller` wait for the work queued so far on the backend stream.
  void before(cudaStream_t caller);

 private:
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = nullptr;
  cudaEvent_t done_ = nullptr;
};

// A growable buffer of page-locked host memory (fast, asynchronous copies) or of device memory.
class Buffer {
 public:
  enum class Kind { PinnedHost, Device };
  explicit Buffer(Kind kind) : kind_(kind) {}
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  // At least `bytes` long; previous contents are not kept.
  void* reserve(std::size_t bytes);

 private:
  Kind kind_;
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace ronde::cuda
