// LAMB (You et al., 2019, Algorithm 2), per parameter tensor:
//   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
//   u = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) + weight_decay * p
//   p -= lr * (||p|| / ||u||) * u       (trust ratio 1 when either norm is 0)
// Two passes: the first updates m, v and sums ||p||^2, ||u||^2; the second applies u.
#include <cmath>

#include "kernels.h"
#include "option_checks.h"
#include "ronde/optim/optimizer.h"
#include "slots.h"

namespace ronde::optim {

namespace {

class Lamb final : public Optimizer {
 public:
  Lamb(std::vector<Parameter> parameters, const LambOptions& options, const OptimizerOptions& common)
      : Optimizer("lamb", std::move(parameters), options.lr, {"exp_avg", "exp_avg_sq"}, common), options_(options) {
    require_unit_interval("lamb", "beta1", options.beta1);
    require_unit_interval("lamb", "beta2", options.beta2);
    require_positive("lamb", "eps", options.eps);
    require_non_negative("lamb", "weight_decay", options.weight_decay);
  }

 private:
  void update(Slots& slots, std::int64_t step, double lr) override {
    const double t = static_cast<double>(step);
    const kernels::LambScalars k{options_.beta1, options_.beta2, options_.eps, options_.weight_decay,
                                 1.0 - std::pow(options_.beta1, t), 1.0 - std::pow(options_.beta2, t)};
    with_compute_type(slots, [&](auto zero) {
      using T = decltype(zero);
      auto* p = static_cast<T*>(slots.value);
      auto* m = static_cast<T*>(slots.state[0]);
      auto* v = static_cast<T*>(slots.state[1]);
      const kernels::LambNorms norms =
          kernels::run_lamb_moments(slots.device, p, static_cast<const T*>(slots.grad), m, v, slots.count, k);
      const double param_norm = std::sqrt(norms.param_sq), update_norm = std::sqrt(norms.update_sq);
      const double trust = param_norm > 0 && update_norm > 0 ? param_norm / update_norm : 1.0;
      kernels::run_lamb_apply(slots.device, p, m, v, slots.count, k, lr * trust);
    });
  }

  Hyperparameters hyperparameters() const override {
    return {{{"beta1", options_.beta1}, {"beta2", options_.beta2}, {"eps", options_.eps},
             {"weight_decay", options_.weight_decay}}};
  }

  LambOptions options_;
};

}  // namespace

std::unique_ptr<Optimizer> make_lamb(std::vector<Parameter> parameters, const LambOptions& options,
                                     const OptimizerOptions& common) {
  return std::make_unique<Lamb>(std::move(parameters), options, common);
}

}  // namespace ronde::optim
