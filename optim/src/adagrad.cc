// Adagrad, as torch.optim.Adagrad:
//   g += weight_decay * p
//   clr = lr / (1 + (t - 1) * lr_decay)
//   sum += g^2                      (sum starts at initial_accumulator_value)
//   p -= clr * g / (sqrt(sum) + eps)
#include "kernels.h"
#include "option_checks.h"
#include "ronde/optim/optimizer.h"
#include "slots.h"

namespace ronde::optim {

namespace {

class Adagrad final : public Optimizer {
 public:
  Adagrad(std::vector<Parameter> parameters, const AdagradOptions& options, const OptimizerOptions& common)
      : Optimizer("adagrad", std::move(parameters), options.lr, {"sum"}, common), options_(options) {
    require_non_negative("adagrad", "lr_decay", options.lr_decay);
    require_non_negative("adagrad", "weight_decay", options.weight_decay);
    require_non_negative("adagrad", "initial_accumulator_value", options.initial_accumulator_value);
    require_positive("adagrad", "eps", options.eps);
  }

 private:
  double initial_slot_value(std::size_t) const override { return options_.initial_accumulator_value; }

  void update(Slots& slots, std::int64_t step, double lr) override {
    const kernels::AdagradScalars k{lr / (1.0 + static_cast<double>(step - 1) * options_.lr_decay),
                                    options_.weight_decay, options_.eps};
    with_compute_type(slots, [&](auto zero) {
      using T = decltype(zero);
      kernels::run_adagrad(slots.device, static_cast<T*>(slots.value), static_cast<const T*>(slots.grad),
                           static_cast<T*>(slots.state[0]), slots.count, k);
    });
  }

  Hyperparameters hyperparameters() const override {
    return {{{"lr_decay", options_.lr_decay}, {"weight_decay", options_.weight_decay},
             {"initial_accumulator_value", options_.initial_accumulator_value}, {"eps", options_.eps}}};
  }

  AdagradOptions options_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adagrad(std::vector<Parameter> parameters, const AdagradOptions& options,
                                        const OptimizerOptions& common) {
  return std::make_unique<Adagrad>(std::move(parameters), options, common);
}

}  // namespace ronde::optim
