// RMSprop, as torch.optim.RMSprop:
//   g += weight_decay * p
//   square_avg = alpha * square_avg + (1 - alpha) * g^2
//   centered:  grad_avg = alpha * grad_avg + (1 - alpha) * g;  avg = sqrt(square_avg - grad_avg^2) + eps
//   else:      avg = sqrt(square_avg) + eps
//   momentum:  buf = momentum * buf + g / avg;  p -= lr * buf      else p -= lr * g / avg
#include "kernels.h"
#include "option_checks.h"
#include "ronde/optim/optimizer.h"
#include "slots.h"

namespace ronde::optim {

namespace {

std::vector<std::string> rmsprop_slots(const RmspropOptions& options) {
  std::vector<std::string> slots{"square_avg"};
  if (options.centered) slots.push_back("grad_avg");
  if (options.momentum > 0) slots.push_back("momentum_buffer");
  return slots;
}

class Rmsprop final : public Optimizer {
 public:
  Rmsprop(std::vector<Parameter> parameters, const RmspropOptions& options, const OptimizerOptions& common)
      : Optimizer("rmsprop", std::move(parameters), options.lr, rmsprop_slots(options), common), options_(options) {
    require_unit_interval("rmsprop", "alpha", options.alpha);
    require_positive("rmsprop", "eps", options.eps);
    require_non_negative("rmsprop", "weight_decay", options.weight_decay);
    require_unit_interval("rmsprop", "momentum", options.momentum);
  }

 private:
  void update(Slots& slots, std::int64_t, double lr) override {
    const kernels::RmspropScalars k{lr, options_.alpha, options_.eps, options_.weight_decay, options_.momentum,
                                    options_.centered};
    with_compute_type(slots, [&](auto zero) {
      using T = decltype(zero);
      std::size_t next = 1;
      T* grad_avg = options_.centered ? static_cast<T*>(slots.state[next++]) : nullptr;
      T* buffer = options_.momentum > 0 ? static_cast<T*>(slots.state[next++]) : nullptr;
      kernels::run_rmsprop(slots.device, static_cast<T*>(slots.value), static_cast<const T*>(slots.grad),
                           static_cast<T*>(slots.state[0]), grad_avg, buffer, slots.count, k);
    });
  }

  Hyperparameters hyperparameters() const override {
    return {{{"alpha", options_.alpha}, {"eps", options_.eps}, {"weight_decay", options_.weight_decay},
             {"momentum", options_.momentum}, {"centered", options_.centered ? 1.0 : 0.0}}};
  }

  RmspropOptions options_;
};

}  // namespace

std::unique_ptr<Optimizer> make_rmsprop(std::vector<Parameter> parameters, const RmspropOptions& options,
                                        const OptimizerOptions& common) {
  return std::make_unique<Rmsprop>(std::move(parameters), options, common);
}

}  // namespace ronde::optim
