// The optimizers' element-wise kernels. Each makes one pass over the parameter, its gradient and
// its state (LAMB: two). The scalars are computed once per step by the optimizer.
//
// Every kernel exists for T = float and double, on the CPU (cpu_kernels.cc, vectorised) and, when
// ronde is built with CUDA, on the GPU (cuda_kernels.cu); run_* picks by device.
#pragma once

#include <cstddef>

#include "kernel_scalars.h"
#include "ronde/core/tensor.h"

namespace ronde::optim::kernels {

template <class T>
void run_sgd(Device device, T* p, const T* g, T* momentum_buffer, std::size_t n, const SgdScalars& k);
template <class T>
void run_adam(Device device, T* p, const T* g, T* m, T* v, std::size_t n, const AdamScalars& k);
template <class T>
void run_adagrad(Device device, T* p, const T* g, T* sum, std::size_t n, const AdagradScalars& k);
// grad_avg is only touched when centered; momentum_buffer only when momentum > 0.
template <class T>
void run_rmsprop(Device device, T* p, const T* g, T* square_avg, T* grad_avg, T* momentum_buffer, std::size_t n,
                 const RmspropScalars& k);
// Pass 1: updates m and v, returns the norms. Pass 2: p -= ratio * update, with
// ratio = lr * trust ratio.
template <class T>
LambNorms run_lamb_moments(Device device, const T* p, const T* g, T* m, T* v, std::size_t n, const LambScalars& k);
template <class T>
void run_lamb_apply(Device device, T* p, const T* m, const T* v, std::size_t n, const LambScalars& k, double ratio);

// Low-precision parameters: widen to f32 / round back (f16 or bf16 given by `dtype`).
void widen_to_f32(Device device, DType dtype, const void* in, float* out, std::size_t n);
void narrow_from_f32(Device device, DType dtype, const float* in, void* out, std::size_t n);

}  // namespace ronde::optim::kernels
