// SGD with momentum, dampening, Nesterov momentum and weight decay, as torch.optim.SGD:
//   d = g + weight_decay * p
//   b = d on the first step, else momentum * b + (1 - dampening) * d
//   p -= lr * (nesterov ? d + momentum * b : b)            (p -= lr * d without momentum)
#include "kernels.h"
#include "option_checks.h"
#include "ronde/optim/optimizer.h"
#include "slots.h"

namespace ronde::optim {

namespace {

class Sgd final : public Optimizer {
 public:
  Sgd(std::vector<Parameter> parameters, const SgdOptions& options, const OptimizerOptions& common)
      : Optimizer("sgd", std::move(parameters), options.lr,
                  options.momentum > 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{}, common),
        options_(options) {
    require_non_negative("sgd", "momentum", options.momentum);
    require(options.momentum < 1 || options.momentum == 0, "sgd", "momentum", options.momentum, "must be < 1");
    require(std::isfinite(options.dampening) && options.dampening >= 0 && options.dampening <= 1, "sgd", "dampening",
            options.dampening, "must be in [0, 1]");
    require_non_negative("sgd", "weight_decay", options.weight_decay);
    if (options.nesterov) {
      require(options.momentum > 0 && options.dampening == 0, "sgd", "nesterov", 1,
              "requires momentum > 0 and dampening = 0");
    }
  }

 private:
  void update(Slots& slots, std::int64_t step, double lr) override {
    const kernels::SgdScalars k{lr, options_.momentum, options_.dampening, options_.weight_decay, options_.nesterov,
                                step == 1};
    with_compute_type(slots, [&](auto zero) {
      using T = decltype(zero);
      T* buffer = slots.state.empty() ? nullptr : static_cast<T*>(slots.state[0]);
      kernels::run_sgd(slots.device, static_cast<T*>(slots.value), static_cast<const T*>(slots.grad), buffer,
                       slots.count, k);
    });
  }

  Hyperparameters hyperparameters() const override {
    return {{{"momentum", options_.momentum},
             {"dampening", options_.dampening},
             {"weight_decay", options_.weight_decay},
             {"nesterov", options_.nesterov ? 1.0 : 0.0}}};
  }

  SgdOptions options_;
};

}  // namespace

std::unique_ptr<Optimizer> make_sgd(std::vector<Parameter> parameters, const SgdOptions& options,
                                    const OptimizerOptions& common) {
  return std::make_unique<Sgd>(std::move(parameters), options, common);
}

}  // namespace ronde::optim
