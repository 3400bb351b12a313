// The per-step scalars the optimizer kernels take, computed once per step by each optimizer.
// Plain C++17 so that the CUDA kernels (compiled as C++17) can include it.
#pragma once

namespace ronde::optim::kernels {

struct SgdScalars {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first_step;  // the momentum buffer starts as the gradient itself
};

struct AdamScalars {
  double lr, beta1, beta2, eps;
  double l2;                     // Adam: weight decay added to the gradient (0 for AdamW)
  double decay;                  // AdamW: p *= decay before the update (1 for Adam)
  double step_size;              // lr / (1 - beta1^t)
  double bias_correction2_sqrt;  // sqrt(1 - beta2^t)
};

struct AdagradScalars {
  double clr, weight_decay, eps;  // clr = lr / (1 + (t - 1) * lr_decay)
};

struct RmspropScalars {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
};

struct LambScalars {
  double beta1, beta2, eps, weight_decay;
  double bias_correction1, bias_correction2;  // 1 - beta^t
};

// Sums of squares from LAMB's first pass: ||p||^2 and ||update||^2.
struct LambNorms {
  double param_sq = 0, update_sq = 0;
};

}  // namespace ronde::optim::kernels
