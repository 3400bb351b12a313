// CUDA optimizer kernels: the same update rules as cpu_kernels.cc, one thread per element in
// grid-stride loops, fused so each step reads and writes every buffer once.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <string>

#include "cuda_kernels.h"
#include "ronde/core/error.h"

namespace ronde::optim::kernels::cuda {

namespace {

constexpr int kThreads = 256;

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw Error(ErrorCode::Internal, std::string("optimizer CUDA ") + what + ": " + cudaGetErrorString(status));
  }
}

void select(int device) { check(cudaSetDevice(device), "cudaSetDevice"); }

int blocks_for(std::size_t n) {
  const std::size_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 4096 ? (blocks ? blocks : 1) : 4096);
}

#define RONDE_GRID_STRIDE(i, n) \
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < (n); i += std::size_t{blockDim.x} * gridDim.x)

template <class T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, std::size_t n, SgdScalars k) {
  const T lr = k.lr, wd = k.weight_decay, mu = k.momentum, keep = 1 - k.dampening;
  const T old_weight = k.first_step ? T(0) : mu, new_weight = k.first_step ? T(1) : keep;
  RONDE_GRID_STRIDE(i, n) {
    const T d = g[i] + wd * p[i];
    if (buf == nullptr) {
      p[i] -= lr * d;
      continue;
    }
    const T b = old_weight * buf[i] + new_weight * d;
    buf[i] = b;
    p[i] -= lr * (k.nesterov ? d + mu * b : b);
  }
}

template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, std::size_t n, AdamScalars k) {
  const T b1 = k.beta1, b2 = k.beta2, l2 = k.l2, decay = k.decay, eps = k.eps, step_size = k.step_size;
  const T inv_bc2_sqrt = 1 / k.bias_correction2_sqrt;
  RONDE_GRID_STRIDE(i, n) {
    const T param = p[i] * decay;
    const T grad = g[i] + l2 * p[i];
    const T mean = b1 * m[i] + (1 - b1) * grad;
    const T square = b2 * v[i] + (1 - b2) * grad * grad;
    m[i] = mean;
    v[i] = square;
    p[i] = param - step_size * mean / (sqrt(square) * inv_bc2_sqrt + eps);
  }
}

template <class T>
__global__ void adagrad_kernel(T* p, const T* g, T* sum, std::size_t n, AdagradScalars k) {
  const T clr = k.clr, wd = k.weight_decay, eps = k.eps;
  RONDE_GRID_STRIDE(i, n) {
    const T grad = g[i] + wd * p[i];
    const T s = sum[i] + grad * grad;
    sum[i] = s;
    p[i] -= clr * grad / (sqrt(s) + eps);
  }
}

template <class T>
__global__ void rmsprop_kernel(T* p, const T* g, T* square_avg, T* grad_avg, T* buf, std::size_t n, RmspropScalars k) {
  const T lr = k.lr, alpha = k.alpha, eps = k.eps, wd = k.weight_decay, mu = k.momentum;
  RONDE_GRID_STRIDE(i, n) {
    const T grad = g[i] + wd * p[i];
    const T sq = alpha * square_avg[i] + (1 - alpha) * grad * grad;
    square_avg[i] = sq;
    T avg;
    if (k.centered) {
      const T ga = alpha * grad_avg[i] + (1 - alpha) * grad;
      grad_avg[i] = ga;
      avg = sqrt(sq - ga * ga) + eps;
    } else {
      avg = sqrt(sq) + eps;
    }
    if (buf != nullptr) {
      const T b = mu * buf[i] + grad / avg;
      buf[i] = b;
      p[i] -= lr * b;
    } else {
      p[i] -= lr * grad / avg;
    }
  }
}

template <class T>
__device__ T lamb_update(T param, T mean, T square, const LambScalars& k) {
  return (mean / T(k.bias_correction1)) / (sqrt(square / T(k.bias_correction2)) + T(k.eps)) + T(k.weight_decay) * param;
}

// Block-level sums of ||p||^2 and ||update||^2, added atomically into norms[0..1].
template <class T>
__global__ void lamb_moments_kernel(const T* p, const T* g, T* m, T* v, std::size_t n, LambScalars k, double* norms) {
  __shared__ double param_sq[kThreads];
  __shared__ double update_sq[kThreads];
  double my_param = 0, my_update = 0;
  const T b1 = k.beta1, b2 = k.beta2;
  RONDE_GRID_STRIDE(i, n) {
    const T mean = b1 * m[i] + (1 - b1) * g[i];
    const T square = b2 * v[i] + (1 - b2) * g[i] * g[i];
    m[i] = mean;
    v[i] = square;
    const double update = lamb_update(p[i], mean, square, k);
    my_param += double(p[i]) * double(p[i]);
    my_update += update * update;
  }
  param_sq[threadIdx.x] = my_param;
  update_sq[threadIdx.x] = my_update;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      param_sq[threadIdx.x] += param_sq[threadIdx.x + half];
      update_sq[threadIdx.x] += update_sq[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(&norms[0], param_sq[0]);
    atomicAdd(&norms[1], update_sq[0]);
  }
}

template <class T>
__global__ void lamb_apply_kernel(T* p, const T* m, const T* v, std::size_t n, LambScalars k, double ratio) {
  RONDE_GRID_STRIDE(i, n) p[i] -= T(ratio) * lamb_update(p[i], m[i], v[i], k);
}

template <class Storage>
__global__ void widen_kernel(const Storage* in, float* out, std::size_t n) {
  RONDE_GRID_STRIDE(i, n) out[i] = float(in[i]);
}
__global__ void narrow_half_kernel(const float* in, __half* out, std::size_t n) {
  RONDE_GRID_STRIDE(i, n) out[i] = __float2half_rn(in[i]);
}
__global__ void narrow_bf16_kernel(const float* in, __nv_bfloat16* out, std::size_t n) {
  RONDE_GRID_STRIDE(i, n) out[i] = __float2bfloat16_rn(in[i]);
}
template <class T>
__global__ void fill_kernel(T* data, std::size_t n, T value) {
  RONDE_GRID_STRIDE(i, n) data[i] = value;
}

void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

}  // namespace

template <class T>
void sgd(int device, T* p, const T* g, T* buf, std::size_t n, const SgdScalars& k) {
  select(device);
  sgd_kernel<<<blocks_for(n), kThreads>>>(p, g, buf, n, k);
  check_launch("sgd kernel");
}

template <class T>
void adam(int device, T* p, const T* g, T* m, T* v, std::size_t n, const AdamScalars& k) {
  select(device);
  adam_kernel<<<blocks_for(n), kThreads>>>(p, g, m, v, n, k);
  check_launch("adam kernel");
}

template <class T>
void adagrad(int device, T* p, const T* g, T* sum, std::size_t n, const AdagradScalars& k) {
  select(device);
  adagrad_kernel<<<blocks_for(n), kThreads>>>(p, g, sum, n, k);
  check_launch("adagrad kernel");
}

template <class T>
void rmsprop(int device, T* p, const T* g, T* square_avg, T* grad_avg, T* buf, std::size_t n,
             const RmspropScalars& k) {
  select(device);
  rmsprop_kernel<<<blocks_for(n), kThreads>>>(p, g, square_avg, grad_avg, buf, n, k);
  check_launch("rmsprop kernel");
}

template <class T>
LambNorms lamb_moments(int device, const T* p, const T* g, T* m, T* v, std::size_t n, const LambScalars& k) {
  select(device);
  double* norms = nullptr;
  check(cudaMalloc(&norms, 2 * sizeof(double)), "cudaMalloc");
  double host[2] = {0, 0};
  try {
    check(cudaMemset(norms, 0, 2 * sizeof(double)), "cudaMemset");
    lamb_moments_kernel<<<blocks_for(n), kThreads>>>(p, g, m, v, n, k, norms);
    check_launch("lamb moments kernel");
    check(cudaMemcpy(host, norms, sizeof(host), cudaMemcpyDeviceToHost), "cudaMemcpy");
  } catch (...) {
    cudaFree(norms);
    throw;
  }
  cudaFree(norms);
  return {host[0], host[1]};
}

template <class T>
void lamb_apply(int device, T* p, const T* m, const T* v, std::size_t n, const LambScalars& k, double ratio) {
  select(device);
  lamb_apply_kernel<<<blocks_for(n), kThreads>>>(p, m, v, n, k, ratio);
  check_launch("lamb apply kernel");
}

void widen_to_f32(int device, bool bf16, const void* in, float* out, std::size_t n) {
  select(device);
  if (!bf16) {
    widen_kernel<<<blocks_for(n), kThreads>>>(static_cast<const __half*>(in), out, n);
  } else {
    widen_kernel<<<blocks_for(n), kThreads>>>(static_cast<const __nv_bfloat16*>(in), out, n);
  }
  check_launch("widen kernel");
}

void narrow_from_f32(int device, bool bf16, const float* in, void* out, std::size_t n) {
  select(device);
  if (!bf16) {
    narrow_half_kernel<<<blocks_for(n), kThreads>>>(in, static_cast<__half*>(out), n);
  } else {
    narrow_bf16_kernel<<<blocks_for(n), kThreads>>>(in, static_cast<__nv_bfloat16*>(out), n);
  }
  check_launch("narrow kernel");
}

void* allocate(int device, std::size_t bytes) {
  select(device);
  void* pointer = nullptr;
  check(cudaMalloc(&pointer, bytes ? bytes : 1), "cudaMalloc of optimizer state");
  check(cudaMemset(pointer, 0, bytes), "cudaMemset");
  return pointer;
}

void release(void* pointer) noexcept { cudaFree(pointer); }

void fill(int device, void* data, bool f64, std::size_t n, double value) {
  select(device);
  if (f64) {
    fill_kernel<<<blocks_for(n), kThreads>>>(static_cast<double*>(data), n, value);
  } else {
    fill_kernel<<<blocks_for(n), kThreads>>>(static_cast<float*>(data), n, static_cast<float>(value));
  }
  check_launch("fill kernel");
}

void copy_to_host(int device, void* host, const void* device_data, std::size_t bytes) {
  select(device);
  check(cudaMemcpy(host, device_data, bytes, cudaMemcpyDeviceToHost), "copy of optimizer state to the host");
}

void copy_to_device(int device, void* device_data, const void* host, std::size_t bytes) {
  select(device);
  check(cudaMemcpy(device_data, host, bytes, cudaMemcpyHostToDevice), "copy of optimizer state to the device");
}

#define RONDE_OPTIM_CUDA_INSTANTIATE(T)                                                                    \
  template void sgd<T>(int, T*, const T*, T*, std::size_t, const SgdScalars&);                         \
  template void adam<T>(int, T*, const T*, T*, T*, std::size_t, const AdamScalars&);                   \
  template void adagrad<T>(int, T*, const T*, T*, std::size_t, const AdagradScalars&);                 \
  template void rmsprop<T>(int, T*, const T*, T*, T*, T*, std::size_t, const RmspropScalars&);         \
  template LambNorms lamb_moments<T>(int, const T*, const T*, T*, T*, std::size_t, const LambScalars&); \
  template void lamb_apply<T>(int, T*, const T*, const T*, std::size_t, const LambScalars&, double);
RONDE_OPTIM_CUDA_INSTANTIATE(float)
RONDE_OPTIM_CUDA_INSTANTIATE(double)
#undef RONDE_OPTIM_CUDA_INSTANTIATE

}  // namespace ronde::optim::kernels::cuda
