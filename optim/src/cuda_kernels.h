// CUDA versions of the optimizer kernels (cuda_kernels.cu), for parameters on CUDA device
// `device` (an ordinal). They run on the device's default stream and return once the work is
// queued, except lamb_moments, which returns the norms and so waits for them. CUDA errors become
// ronde::Error(Internal) carrying CUDA's message. Plain C++17: the .cu side includes it.
#pragma once

#include <cstddef>

#include "kernel_scalars.h"

namespace ronde::optim::kernels::cuda {

template <class T>
void sgd(int device, T* p, const T* g, T* buf, std::size_t n, const SgdScalars& k);
template <class T>
void adam(int device, T* p, const T* g, T* m, T* v, std::size_t n, const AdamScalars& k);
template <class T>
void adagrad(int device, T* p, const T* g, T* sum, std::size_t n, const AdagradScalars& k);
template <class T>
void rmsprop(int device, T* p, const T* g, T* square_avg, T* grad_avg, T* buf, std::size_t n,
             const RmspropScalars& k);
template <class T>
LambNorms lamb_moments(int device, const T* p, const T* g, T* m, T* v, std::size_t n, const LambScalars& k);
template <class T>
void lamb_apply(int device, T* p, const T* m, const T* v, std::size_t n, const LambScalars& k, double ratio);
void widen_to_f32(int device, bool bf16, const void* in, float* out, std::size_t n);
void narrow_from_f32(int device, bool bf16, const float* in, void* out, std::size_t n);

// Device memory for optimizer state: allocate (zeroed) and free; copies to and from the host.
void* allocate(int device, std::size_t bytes);
void release(void* pointer) noexcept;
void fill(int device, void* data, bool f64, std::size_t n, double value);
void copy_to_host(int device, void* host, const void* device_data, std::size_t bytes);
void copy_to_device(int device, void* device_data, const void* host, std::size_t bytes);

}  // namespace ronde::optim::kernels::cuda
