// Element-wise device kernels of the collectives: scaling (pre/post factors, integer Average) and
// f16/bf16 <-> f32 casts (the staged path reduces 16-bit floats in f32). Queued on `stream`.
// Plain C++17: included by the .cu side.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace ronde::cuda {

enum class FloatKind { F16, BF16, F32, F64 };

void scale(void* data, std::size_t count, FloatKind kind, double factor, cudaStream_t stream);
// Integer Average: data[i] /= divisor, truncating (i32 when wide is false, else i64).
void divide_integers(void* data, std::size_t count, bool wide, long long divisor, cudaStream_t stream);
void widen_to_f32(const void* in, float* out, std::size_t count, bool bf16, cudaStream_t stream);
void narrow_from_f32(const float* in, void* out, std::size_t count, bool bf16, cudaStream_t stream);

}  // namespace ronde::cuda
