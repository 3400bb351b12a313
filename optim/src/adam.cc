// Adam and AdamW, as torch.optim.Adam / AdamW (amsgrad off):
//   Adam:  g += weight_decay * p          AdamW: p *= 1 - lr * weight_decay
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
#include <cmath>

#include "kernels.h"
#include "option_checks.h"
#include "ronde/optim/optimizer.h"
#include "slots.h"

namespace ronde::optim {

namespace {

class Adam final : public Optimizer {
 public:
  Adam(std::string name, bool decoupled, std::vector<Parameter> parameters, const AdamOptions& options,
       const OptimizerOptions& common)
      : Optimizer(name, std::move(parameters), options.lr, {"exp_avg", "exp_avg_sq"}, common),
        decoupled_(decoupled), options_(options) {
    require_unit_interval(name, "beta1", options.beta1);
    require_unit_interval(name, "beta2", options.beta2);
    require_positive(name, "eps", options.eps);
    require_non_negative(name, "weight_decay", options.weight_decay);
  }

 private:
  void update(Slots& slots, std::int64_t step, double lr) override {
    const double t = static_cast<double>(step);
    kernels::AdamScalars k{};
    k.lr = lr;
    k.beta1 = options_.beta1;
    k.beta2 = options_.beta2;
    k.eps = options_.eps;
    k.l2 = decoupled_ ? 0.0 : options_.weight_decay;
    k.decay = decoupled_ ? 1.0 - lr * options_.weight_decay : 1.0;
    k.step_size = lr / (1.0 - std::pow(options_.beta1, t));
    k.bias_correction2_sqrt = std::sqrt(1.0 - std::pow(options_.beta2, t));
    with_compute_type(slots, [&](auto zero) {
      using T = decltype(zero);
      kernels::run_adam(slots.device, static_cast<T*>(slots.value), static_cast<const T*>(slots.grad),
                        static_cast<T*>(slots.state[0]), static_cast<T*>(slots.state[1]), slots.count, k);
    });
  }

  Hyperparameters hyperparameters() const override {
    return {{{"beta1", options_.beta1}, {"beta2", options_.beta2}, {"eps", options_.eps},
             {"weight_decay", options_.weight_decay}}};
  }

  bool decoupled_;
  AdamOptions options_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adam(std::vector<Parameter> parameters, const AdamOptions& options,
                                     const OptimizerOptions& common) {
  return std::make_unique<Adam>("adam", false, std::move(parameters), options, common);
}

std::unique_ptr<Optimizer> make_adamw(std::vector<Parameter> parameters, const AdamOptions& options,
                                      const OptimizerOptions& common) {
  return std::make_unique<Adam>("adamw", true, std::move(parameters), options, common);
}

}  // namespace ronde::optim
