// Optimizers over flat buffers, shared by data-parallel workers (after allreduce) and parameter
// servers (on their shards).
//
//   std::vector<ronde::optim::Parameter> params = {{"fc1.w", Tensor::of(w), Tensor::of(dw)}, ...};
//   auto opt = ronde::optim::make_optimizer("adamw", {{"lr", "1e-3"}, {"weight_decay", "0.01"}}, params);
//   opt->step();                                   // every parameter, one pass each
//   opt->set_lr(schedule.lr(opt->step_count()));   // schedules are separate (schedule.h)
//
// The update rules are the ones PyTorch documents for torch.optim (SGD, Adam, AdamW, Adagrad,
// RMSprop), including bias correction and where epsilon goes, so trajectories can be compared
// with torch; LAMB follows You et al. (2019), "Large Batch Optimization for Deep Learning",
// Algorithm 2, with the trust ratio ||p|| / ||update|| per parameter (1 when either norm is 0).
//
// Parameters may be f32 or f64, and f16 or bf16: low-precision parameters are updated in f32 and
// rounded back; with OptimizerOptions::master_weights the f32 copy persists between steps (and in
// the state dict), so small updates are not lost to rounding. Optimizer state has the compute
// dtype (f32, or f64 for f64 parameters). CPU parameters are updated by vectorised one-pass
// kernels; CUDA parameters by fused CUDA kernels (when ronde is built with CUDA).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/optim/parameter.h"
#include "ronde/optim/state_dict.h"

namespace ronde::optim {

// Options by name, as a configuration file or command line gives them: {"lr", "0.01"}.
using OptionMap = std::map<std::string, std::string, std::less<>>;

struct OptimizerOptions {
  bool master_weights = false;  // keep an f32 master copy of f16/bf16 parameters
};

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  // requires momentum > 0 and dampening == 0
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // Adam: L2 added to the gradient; AdamW: decoupled (default 0.01)
};

struct AdagradOptions {
  double lr = 0.01;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
};

struct RmspropOptions {
  double lr = 0.01;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};

struct LambOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-6;
  double weight_decay = 0.0;
};

class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Applies one update to every parameter from its gradient at the current learning rate.
  void step();

  // "sgd", "adam", "adamw", "adagrad", "rmsprop", "lamb".
  std::string_view name() const { return name_; }
  double lr() const { return lr_; }
  // Throws Error(InvalidArgument) for a NaN, infinite or negative rate.
  void set_lr(double lr);
  // Steps taken so far (0 before the first).
  std::int64_t step_count() const { return step_; }
  const std::vector<Parameter>& parameters() const { return parameters_; }

  // Everything needed to continue bit-for-bit: step count, learning rate, hyperparameters,
  // every state slot of every parameter (and master weights).
  StateDict state_dict() const;
  // Restores a state_dict() of an optimizer of the same kind over parameters of the same names,
  // shapes and dtypes; anything else is an Error(InvalidArgument) naming the parameter or key.
  // With master weights the parameters' values are reset from the restored masters.
  void load_state_dict(const StateDict& state);

  // For optimizer implementations: the per-parameter storage handed to update(): the
  // compute-precision value (the parameter itself for f32/f64), the gradient in compute
  // precision, and the optimizer's state slots (defined in optim/src/slots.h).
  struct Slots;

 protected:
  struct Hyperparameters {
    std::vector<std::pair<std::string, double>> values;  // recorded in state dicts, checked on load
  };

  Optimizer(std::string name, std::vector<Parameter> parameters, double lr, std::vector<std::string> slot_names,
            const OptimizerOptions& options);

  // Slot initial values (e.g. Adagrad's initial accumulator); called once per parameter.
  virtual double initial_slot_value(std::size_t slot) const;
  // Updates one parameter for step `step` (1-based) at learning rate `lr`.
  virtual void update(Slots& slots, std::int64_t step, double lr) = 0;
  virtual Hyperparameters hyperparameters() const = 0;

 private:
  struct ParameterState;
  void prepare();
  std::string name_;
  std::vector<Parameter> parameters_;
  std::vector<std::string> slot_names_;
  OptimizerOptions options_;
  double lr_;
  std::int64_t step_ = 0;
  std::vector<std::unique_ptr<ParameterState>> states_;
};

std::unique_ptr<Optimizer> make_sgd(std::vector<Parameter> parameters, const SgdOptions& options,
                                    const OptimizerOptions& common = {});
std::unique_ptr<Optimizer> make_adam(std::vector<Parameter> parameters, const AdamOptions& options,
                                     const OptimizerOptions& common = {});
std::unique_ptr<Optimizer> make_adamw(std::vector<Parameter> parameters, const AdamOptions& options,
                                      const OptimizerOptions& common = {});
std::unique_ptr<Optimizer> make_adagrad(std::vector<Parameter> parameters, const AdagradOptions& options,
                                        const OptimizerOptions& common = {});
std::unique_ptr<Optimizer> make_rmsprop(std::vector<Parameter> parameters, const RmspropOptions& options,
                                        const OptimizerOptions& common = {});
std::unique_ptr<Optimizer> make_lamb(std::vector<Parameter> parameters, const LambOptions& options,
                                     const OptimizerOptions& common = {});

// By name, with options by name (plus "master_weights"). An unknown optimizer or option name, or a
// value that does not parse, is an Error(InvalidArgument) naming it and listing the valid ones.
// AdamW's weight_decay defaults to 0.01 as in PyTorch.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name, const OptionMap& options,
                                          std::vector<Parameter> parameters);

}  // namespace ronde::optim
