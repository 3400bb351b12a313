#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <string>

#include "cuda/device_kernels.h"
#include "ronde/core/error.h"

namespace ronde::cuda {

namespace {

constexpr int kThreads = 256;

int blocks_for(std::size_t n) {
  const std::size_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks == 0 ? 1 : (blocks < 8192 ? blocks : 8192));
}

void check_launch(const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw Error(ErrorCode::Internal, std::string(kernel) + ": " + cudaGetErrorString(status));
}

#define RONDE_GRID_STRIDE(i, n) \
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < (n); i += std::size_t{blockDim.x} * gridDim.x)

template <class T>
__global__ void scale_kernel(T* data, std::size_t n, double factor) {
  RONDE_GRID_STRIDE(i, n) data[i] = static_cast<T>(static_cast<double>(data[i]) * factor);
}
__global__ void scale_half_kernel(__half* data, std::size_t n, float factor) {
  RONDE_GRID_STRIDE(i, n) data[i] = __float2half_rn(__half2float(data[i]) * factor);
}
__global__ void scale_bf16_kernel(__nv_bfloat16* data, std::size_t n, float factor) {
  RONDE_GRID_STRIDE(i, n) data[i] = __float2bfloat16_rn(__bfloat162float(data[i]) * factor);
}
template <class T>
__global__ void divide_kernel(T* data, std::size_t n, T divisor) {
  RONDE_GRID_STRIDE(i, n) data[i] /= divisor;
}
__global__ void widen_half_kernel(const __half* in, float* out, std::size_t n) {
  RONDE_GRID_STRIDE(i, n) out[i] = __half2float(in[i]);
}
__global__ void widen_bf16_kernel(const __nv_bfloat16* in, float* out, std::size_t n) {
  RONDE_GRID_STRIDE(i, n) out[i] = __bfloat162float(in[i]);
}
__global__ void narrow_half_kernel(const float* in, __half* out, std::size_t n) {
  RONDE_GRID_STRIDE(i, n) out[i] = __float2half_rn(in[i]);
}
__global__ void narrow_bf16_kernel(const float* in, __nv_bfloat16* out, std::size_t n) {
  RONDE_GRID_STRIDE(i, n) out[i] = __float2bfloat16_rn(in[i]);
}

}  // namespace

void scale(void* data, std::size_t count, FloatKind kind, double factor, cudaStream_t stream) {
  if (count == 0) return;
  switch (kind) {
    case FloatKind::F16:
      scale_half_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<__half*>(data), count, float(factor));
      break;
    case FloatKind::BF16:
      scale_bf16_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<__nv_bfloat16*>(data), count, float(factor));
      break;
    case FloatKind::F32:
      scale_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<float*>(data), count, factor);
      break;
    case FloatKind::F64:
      scale_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<double*>(data), count, factor);
      break;
  }
  check_launch("scale kernel");
}

void divide_integers(void* data, std::size_t count, bool wide, long long divisor, cudaStream_t stream) {
  if (count == 0) return;
  if (wide) {
    divide_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<long long*>(data), count, divisor);
  } else {
    divide_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<int*>(data), count, static_cast<int>(divisor));
  }
  check_launch("divide kernel");
}

void widen_to_f32(const void* in, float* out, std::size_t count, bool bf16, cudaStream_t stream) {
  if (count == 0) return;
  if (bf16) widen_bf16_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(in), out, count);
  else widen_half_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const __half*>(in), out, count);
  check_launch("widen kernel");
}

void narrow_from_f32(const float* in, void* out, std::size_t count, bool bf16, cudaStream_t stream) {
  if (count == 0) return;
  if (bf16) narrow_bf16_kernel<<<blocks_for(count), kThreads, 0, stream>>>(in, static_cast<__nv_bfloat16*>(out), count);
  else narrow_half_kernel<<<blocks_for(count), kThreads, 0, stream>>>(in, static_cast<__half*>(out), count);
  check_launch("narrow kernel");
}

}  // namespace ronde::cuda
