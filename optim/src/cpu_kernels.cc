// CPU kernels: one pass each over p, g and the state, written as plain loops over __restrict
// pointers with no branches inside so that the compiler vectorises them (this file is built with
// -O3). The run_* entry points send CUDA parameters to cuda_kernels.cu.
#include <cmath>

#include "cuda_kernels.h"
#include "kernels.h"
#include "ronde/core/error.h"
#include "ronde/core/half.h"

namespace ronde::optim::kernels {

namespace {

[[noreturn, maybe_unused]] void no_cuda() {
  throw Error(ErrorCode::InvalidArgument, "a CUDA parameter reached the optimizer but ronde was built without CUDA");
}

template <class T>
void sgd_cpu(T* __restrict p, const T* __restrict g, T* __restrict buf, std::size_t n, const SgdScalars& k) {
  const T lr = static_cast<T>(k.lr), wd = static_cast<T>(k.weight_decay), mu = static_cast<T>(k.momentum);
  const T keep = static_cast<T>(1 - k.dampening);
  if (buf == nullptr) {  // plain SGD
    for (std::size_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + wd * p[i]);
    return;
  }
  // First step: the buffer is the gradient itself (no dampening), as in torch.optim.SGD.
  const T old_weight = k.first_step ? T(0) : mu;
  const T new_weight = k.first_step ? T(1) : keep;
  const T nesterov = k.nesterov ? mu : T(0);
  for (std::size_t i = 0; i < n; ++i) {
    const T d = g[i] + wd * p[i];
    const T b = old_weight * buf[i] + new_weight * d;
    buf[i] = b;
    // Nesterov: step along d + mu * b; classic momentum: along b.
    p[i] -= lr * (k.nesterov ? d + nesterov * b : b);
  }
}

template <class T>
void adam_cpu(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, std::size_t n,
              const AdamScalars& k) {
  const T b1 = static_cast<T>(k.beta1), b2 = static_cast<T>(k.beta2);
  const T one_minus_b1 = static_cast<T>(1 - k.beta1), one_minus_b2 = static_cast<T>(1 - k.beta2);
  const T l2 = static_cast<T>(k.l2), decay = static_cast<T>(k.decay), eps = static_cast<T>(k.eps);
  const T step_size = static_cast<T>(k.step_size);
  const T inv_bc2_sqrt = static_cast<T>(1 / k.bias_correction2_sqrt);
  for (std::size_t i = 0; i < n; ++i) {
    const T param = p[i] * decay;          // AdamW's decoupled decay (decay = 1 for Adam)
    const T grad = g[i] + l2 * p[i];       // Adam's L2 term (l2 = 0 for AdamW)
    const T mean = b1 * m[i] + one_minus_b1 * grad;
    const T square = b2 * v[i] + one_minus_b2 * grad * grad;
    m[i] = mean;
    v[i] = square;
    // torch: denom = sqrt(v) / sqrt(1 - beta2^t) + eps;  p -= lr / (1 - beta1^t) * m / denom
    p[i] = param - step_size * mean / (std::sqrt(square) * inv_bc2_sqrt + eps);
  }
}

template <class T>
void adagrad_cpu(T* __restrict p, const T* __restrict g, T* __restrict sum, std::size_t n, const AdagradScalars& k) {
  const T clr = static_cast<T>(k.clr), wd = static_cast<T>(k.weight_decay), eps = static_cast<T>(k.eps);
  for (std::size_t i = 0; i < n; ++i) {
    const T grad = g[i] + wd * p[i];
    const T s = sum[i] + grad * grad;
    sum[i] = s;
    p[i] -= clr * grad / (std::sqrt(s) + eps);
  }
}

template <class T>
void rmsprop_cpu(T* __restrict p, const T* __restrict g, T* __restrict square_avg, T* __restrict grad_avg,
                 T* __restrict buf, std::size_t n, const RmspropScalars& k) {
  const T lr = static_cast<T>(k.lr), alpha = static_cast<T>(k.alpha), one_minus_alpha = static_cast<T>(1 - k.alpha);
  const T eps = static_cast<T>(k.eps), wd = static_cast<T>(k.weight_decay), mu = static_cast<T>(k.momentum);
  for (std::size_t i = 0; i < n; ++i) {
    const T grad = g[i] + wd * p[i];
    const T sq = alpha * square_avg[i] + one_minus_alpha * grad * grad;
    square_avg[i] = sq;
    T avg;
    if (k.centered) {
      const T ga = alpha * grad_avg[i] + one_minus_alpha * grad;
      grad_avg[i] = ga;
      avg = std::sqrt(sq - ga * ga) + eps;
    } else {
      avg = std::sqrt(sq) + eps;
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

// LAMB's update direction for one element: Adam's bias-corrected step plus decoupled decay.
template <class T>
inline T lamb_update(T param, T mean, T square, T inv_bc1, T inv_bc2, T eps, T wd) {
  return (mean * inv_bc1) / (std::sqrt(square * inv_bc2) + eps) + wd * param;
}

// The norms are summed in double in kLanes independent partial sums (one per position in a block),
// so the compiler can vectorise the block without reassociating any floating-point addition.
template <class T>
LambNorms lamb_moments_cpu(const T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                           std::size_t n, const LambScalars& k) {
  constexpr std::size_t kLanes = 8;
  const T b1 = static_cast<T>(k.beta1), b2 = static_cast<T>(k.beta2);
  const T one_minus_b1 = static_cast<T>(1 - k.beta1), one_minus_b2 = static_cast<T>(1 - k.beta2);
  const T inv_bc1 = static_cast<T>(1 / k.bias_correction1), inv_bc2 = static_cast<T>(1 / k.bias_correction2);
  const T eps = static_cast<T>(k.eps), wd = static_cast<T>(k.weight_decay);
  double param_sq[kLanes] = {}, update_sq[kLanes] = {};
  auto element = [&](std::size_t i, std::size_t lane) {
    const T mean = b1 * m[i] + one_minus_b1 * g[i];
    const T square = b2 * v[i] + one_minus_b2 * g[i] * g[i];
    m[i] = mean;
    v[i] = square;
    const double update = static_cast<double>(lamb_update(p[i], mean, square, inv_bc1, inv_bc2, eps, wd));
    param_sq[lane] += static_cast<double>(p[i]) * static_cast<double>(p[i]);
    update_sq[lane] += update * update;
  };
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) element(i + lane, lane);
  }
  for (; i < n; ++i) element(i, 0);
  LambNorms norms;
  for (std::size_t lane = 0; lane < kLanes; ++lane) norms.param_sq += param_sq[lane], norms.update_sq += update_sq[lane];
  return norms;
}

template <class T>
void lamb_apply_cpu(T* __restrict p, const T* __restrict m, const T* __restrict v, std::size_t n,
                    const LambScalars& k, double ratio) {
  const T inv_bc1 = static_cast<T>(1 / k.bias_correction1), inv_bc2 = static_cast<T>(1 / k.bias_correction2);
  const T eps = static_cast<T>(k.eps), wd = static_cast<T>(k.weight_decay), r = static_cast<T>(ratio);
  for (std::size_t i = 0; i < n; ++i) p[i] -= r * lamb_update(p[i], m[i], v[i], inv_bc1, inv_bc2, eps, wd);
}

}  // namespace

template <class T>
void run_sgd(Device device, T* p, const T* g, T* buf, std::size_t n, const SgdScalars& k) {
  if (!device.is_cuda()) return sgd_cpu(p, g, buf, n, k);
#if defined(RONDE_HAVE_CUDA)
  cuda::sgd(device.index, p, g, buf, n, k);
#else
  no_cuda();
#endif
}

template <class T>
void run_adam(Device device, T* p, const T* g, T* m, T* v, std::size_t n, const AdamScalars& k) {
  if (!device.is_cuda()) return adam_cpu(p, g, m, v, n, k);
#if defined(RONDE_HAVE_CUDA)
  cuda::adam(device.index, p, g, m, v, n, k);
#else
  no_cuda();
#endif
}

template <class T>
void run_adagrad(Device device, T* p, const T* g, T* sum, std::size_t n, const AdagradScalars& k) {
  if (!device.is_cuda()) return adagrad_cpu(p, g, sum, n, k);
#if defined(RONDE_HAVE_CUDA)
  cuda::adagrad(device.index, p, g, sum, n, k);
#else
  no_cuda();
#endif
}

template <class T>
void run_rmsprop(Device device, T* p, const T* g, T* square_avg, T* grad_avg, T* buf, std::size_t n,
                 const RmspropScalars& k) {
  if (!device.is_cuda()) return rmsprop_cpu(p, g, square_avg, grad_avg, buf, n, k);
#if defined(RONDE_HAVE_CUDA)
  cuda::rmsprop(device.index, p, g, square_avg, grad_avg, buf, n, k);
#else
  no_cuda();
#endif
}

template <class T>
LambNorms run_lamb_moments(Device device, const T* p, const T* g, T* m, T* v, std::size_t n, const LambScalars& k) {
  if (!device.is_cuda()) return lamb_moments_cpu(p, g, m, v, n, k);
#if defined(RONDE_HAVE_CUDA)
  return cuda::lamb_moments(device.index, p, g, m, v, n, k);
#else
  no_cuda();
#endif
}

template <class T>
void run_lamb_apply(Device device, T* p, const T* m, const T* v, std::size_t n, const LambScalars& k, double ratio) {
  if (!device.is_cuda()) return lamb_apply_cpu(p, m, v, n, k, ratio);
#if defined(RONDE_HAVE_CUDA)
  cuda::lamb_apply(device.index, p, m, v, n, k, ratio);
#else
  no_cuda();
#endif
}

void widen_to_f32(Device device, DType dtype, const void* in, float* out, std::size_t n) {
  if (device.is_cuda()) {
#if defined(RONDE_HAVE_CUDA)
    return cuda::widen_to_f32(device.index, dtype == DType::BF16, in, out, n);
#else
    no_cuda();
#endif
  }
  if (dtype == DType::F16) {
    const auto* h = static_cast<const Half*>(in);
    for (std::size_t i = 0; i < n; ++i) out[i] = half_to_float(h[i]);
  } else {
    const auto* b = static_cast<const BFloat16*>(in);
    for (std::size_t i = 0; i < n; ++i) out[i] = bfloat16_to_float(b[i]);
  }
}

void narrow_from_f32(Device device, DType dtype, const float* in, void* out, std::size_t n) {
  if (device.is_cuda()) {
#if defined(RONDE_HAVE_CUDA)
    return cuda::narrow_from_f32(device.index, dtype == DType::BF16, in, out, n);
#else
    no_cuda();
#endif
  }
  if (dtype == DType::F16) {
    auto* h = static_cast<Half*>(out);
    for (std::size_t i = 0; i < n; ++i) h[i] = float_to_half(in[i]);
  } else {
    auto* b = static_cast<BFloat16*>(out);
    for (std::size_t i = 0; i < n; ++i) b[i] = float_to_bfloat16(in[i]);
  }
}

#define RONDE_OPTIM_INSTANTIATE(T)                                                                             \
  template void run_sgd<T>(Device, T*, const T*, T*, std::size_t, const SgdScalars&);                         \
  template void run_adam<T>(Device, T*, const T*, T*, T*, std::size_t, const AdamScalars&);                   \
  template void run_adagrad<T>(Device, T*, const T*, T*, std::size_t, const AdagradScalars&);                 \
  template void run_rmsprop<T>(Device, T*, const T*, T*, T*, T*, std::size_t, const RmspropScalars&);         \
  template LambNorms run_lamb_moments<T>(Device, const T*, const T*, T*, T*, std::size_t, const LambScalars&); \
  template void run_lamb_apply<T>(Device, T*, const T*, const T*, std::size_t, const LambScalars&, double);
RONDE_OPTIM_INSTANTIATE(float)
RONDE_OPTIM_INSTANTIATE(double)
#undef RONDE_OPTIM_INSTANTIATE

}  // namespace ronde::optim::kernels
