// Helpers shared by the GPU tests: failure counting, CUDA status checks, and device copies of
// host vectors.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "ronde/core/tensor.h"

namespace ronde::testing {

// Counts failed expectations; each failure is printed as "FAIL: ...".
class Expectations {
 public:
  void expect(bool ok, const std::string& what) {
    if (!ok) {
      std::printf("FAIL: %s\n", what.c_str());
      ++failures_;
    }
  }
  int& failures() { return failures_; }

 private:
  int failures_ = 0;
};

// Any CUDA failure ends the test (exit 1) with CUDA's message.
inline void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    std::printf("FAIL: %s: %s\n", what, cudaGetErrorString(status));
    std::exit(1);
  }
}

// A device array holding a copy of host values; `host()` copies them back after the device is idle.
template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(const std::vector<T>& values) : count_(values.size()) {
    check_cuda(cudaMalloc(reinterpret_cast<void**>(&data_), std::max<std::size_t>(1, count_) * sizeof(T)), "cudaMalloc");
    upload(values);
  }
  ~DeviceArray() { cudaFree(data_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  void upload(const std::vector<T>& values) {
    if (count_) check_cuda(cudaMemcpy(data_, values.data(), count_ * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  std::vector<T> host() const {
    std::vector<T> out(count_);
    check_cuda(cudaDeviceSynchronize(), "synchronize");
    if (count_) check_cuda(cudaMemcpy(out.data(), data_, count_ * sizeof(T), cudaMemcpyDeviceToHost), "download");
    return out;
  }
  T* data() const { return data_; }
  Tensor tensor(std::vector<std::int64_t> shape, int device = 0) const {
    return Tensor(data_, dtype_of<T>, std::move(shape), Device::cuda(device));
  }

 private:
  T* data_ = nullptr;
  std::size_t count_;
};

}  // namespace ronde::testing
