// The parts every optimizer shares: parameter checks, state allocation, the f16/bf16 path,
// step counting and the state dict. The update rules live in one file per optimizer.
#include "ronde/optim/optimizer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "kernels.h"
#include "ronde/core/cuda_info.h"
#include "ronde/core/env.h"
#include "ronde/core/error.h"
#include "slots.h"
#include "state_buffer.h"

namespace ronde::optim {

namespace {

constexpr const char* kFormatVersion = "1";

std::string exact(double value) {  // hexadecimal: round-trips every double
  char text[64];
  std::snprintf(text, sizeof(text), "%a", value);
  return text;
}

double parse_exact(const std::string& text, const std::string& key) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    throw Error(ErrorCode::InvalidArgument, "optimizer state dict: metadata '" + key + "'='" + text + "' is not a number");
  }
  return value;
}

bool is_low_precision(DType dtype) { return dtype == DType::F16 || dtype == DType::BF16; }

}  // namespace

struct Optimizer::ParameterState {
  DType compute = DType::F32;
  std::size_t count = 0;
  StateBuffer value_copy;  // f16/bf16 parameters: the f32 master (or this step's f32 copy)
  StateBuffer grad_copy;   // f16/bf16 parameters: the gradient in f32
  std::vector<StateBuffer> slots;
};

Optimizer::Optimizer(std::string name, std::vector<Parameter> parameters, double lr,
                     std::vector<std::string> slot_names, const OptimizerOptions& options)
    : name_(std::move(name)), parameters_(std::move(parameters)), slot_names_(std::move(slot_names)),
      options_(options), lr_(0) {
  set_lr(lr);
  std::set<std::string> names;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& parameter = parameters_[i];
    const std::string what = name_ + ": parameter '" + parameter.name + "'";
    auto invalid = [&](const std::string& message) { throw Error(ErrorCode::InvalidArgument, what + " " + message); };
    if (parameter.name.empty()) {
      throw Error(ErrorCode::InvalidArgument, name_ + ": parameter #" + std::to_string(i) + " has no name");
    }
    if (!names.insert(parameter.name).second) invalid("appears twice");
    if (!is_floating_point(parameter.value.dtype())) {
      invalid("is " + parameter.value.describe() + ": optimizers update floating-point parameters only");
    }
    if (parameter.grad.dtype() != parameter.value.dtype() || parameter.grad.shape() != parameter.value.shape() ||
        parameter.grad.device() != parameter.value.device()) {
      invalid("is " + parameter.value.describe() + " but its gradient is " + parameter.grad.describe());
    }
    if (parameter.value.device().is_cuda() && !built_with_cuda()) {
      invalid("is on " + parameter.value.device().to_string() + " but ronde was built without CUDA");
    }
  }
}

Optimizer::~Optimizer() = default;

void Optimizer::set_lr(double lr) {
  if (!std::isfinite(lr) || lr < 0) {
    throw Error(ErrorCode::InvalidArgument, name_ + ": learning rate " + std::to_string(lr) +
                                                " must be a finite, non-negative number");
  }
  lr_ = lr;
}

double Optimizer::initial_slot_value(std::size_t) const { return 0.0; }

// Allocates state on first use (not in the constructor: initial_slot_value is virtual).
void Optimizer::prepare() {
  if (!states_.empty() || parameters_.empty()) return;
  for (const Parameter& parameter : parameters_) {
    auto state = std::make_unique<ParameterState>();
    const Device device = parameter.value.device();
    state->count = static_cast<std::size_t>(parameter.value.numel());
    state->compute = parameter.value.dtype() == DType::F64 ? DType::F64 : DType::F32;
    if (is_low_precision(parameter.value.dtype())) {
      state->value_copy = StateBuffer(device, DType::F32, state->count);
      state->grad_copy = StateBuffer(device, DType::F32, state->count);
      if (options_.master_weights) {
        kernels::widen_to_f32(device, parameter.value.dtype(), parameter.value.data(),
                              static_cast<float*>(state->value_copy.data()), state->count);
      }
    }
    for (std::size_t slot = 0; slot < slot_names_.size(); ++slot) {
      state->slots.emplace_back(device, state->compute, state->count);
      state->slots.back().fill(initial_slot_value(slot));
    }
    states_.push_back(std::move(state));
  }
}

void Optimizer::step() {
  prepare();
  ++step_;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& parameter = parameters_[i];
    ParameterState& state = *states_[i];
    const Device device = parameter.value.device();
    const DType dtype = parameter.value.dtype();
    Slots slots{&parameter.name, state.compute, device, state.count, parameter.value.data(), parameter.grad.data(), {}};
    for (StateBuffer& buffer : state.slots) slots.state.push_back(buffer.data());
    if (is_low_precision(dtype)) {
      auto* value = static_cast<float*>(state.value_copy.data());
      auto* grad = static_cast<float*>(state.grad_copy.data());
      if (!options_.master_weights) kernels::widen_to_f32(device, dtype, parameter.value.data(), value, state.count);
      kernels::widen_to_f32(device, dtype, parameter.grad.data(), grad, state.count);
      slots.value = value;
      slots.grad = grad;
    }
    update(slots, step_, lr_);
    if (is_low_precision(dtype)) {
      kernels::narrow_from_f32(device, dtype, static_cast<const float*>(slots.value), parameter.value.data(), state.count);
    }
  }
}

StateDict Optimizer::state_dict() const {
  const_cast<Optimizer*>(this)->prepare();
  StateDict dict;
  dict.metadata["format"] = kFormatVersion;
  dict.metadata["optimizer"] = name_;
  dict.metadata["step"] = std::to_string(step_);
  dict.metadata["lr"] = exact(lr_);
  dict.metadata["master_weights"] = options_.master_weights ? "1" : "0";
  for (const auto& [key, value] : hyperparameters().values) dict.metadata["hp." + key] = exact(value);
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& parameter = parameters_[i];
    const ParameterState& state = *states_[i];
    for (std::size_t slot = 0; slot < slot_names_.size(); ++slot) {
      dict.tensors.push_back({parameter.name + "/" + slot_names_[slot], state.compute, parameter.value.shape(),
                              state.slots[slot].to_host()});
    }
    if (options_.master_weights && is_low_precision(parameter.value.dtype())) {
      dict.tensors.push_back({parameter.name + "/master", DType::F32, parameter.value.shape(), state.value_copy.to_host()});
    }
  }
  return dict;
}

void Optimizer::load_state_dict(const StateDict& state) {
  auto invalid = [&](const std::string& message) {
    throw Error(ErrorCode::InvalidArgument, name_ + ": cannot load state dict: " + message);
  };
  if (state.meta("format") != kFormatVersion) invalid("format '" + state.meta("format") + "' is not " + kFormatVersion);
  if (state.meta("optimizer") != name_) invalid("it belongs to optimizer '" + state.meta("optimizer") + "'");
  if (state.meta("master_weights") != (options_.master_weights ? "1" : "0")) {
    invalid("master_weights differs (state " + state.meta("master_weights") + ")");
  }
  for (const auto& [key, value] : hyperparameters().values) {
    const double saved = parse_exact(state.meta("hp." + key), "hp." + key);
    if (saved != value) invalid(key + " is " + std::to_string(saved) + " in the state but " + std::to_string(value) + " here");
  }
  const std::int64_t step = parse_int(state.meta("step"), "state dict metadata 'step'");
  if (step < 0) invalid("step " + std::to_string(step) + " is negative");
  const double lr = parse_exact(state.meta("lr"), "lr");

  prepare();
  // Check everything before changing anything, so a failed load leaves the optimizer as it was.
  auto expect = [&](const StateTensor& tensor, DType dtype, const Parameter& parameter) {
    if (tensor.dtype != dtype || tensor.shape != parameter.value.shape() ||
        tensor.bytes.size() != static_cast<std::size_t>(parameter.value.numel()) * dtype_size(dtype)) {
      invalid("tensor '" + tensor.name + "' is " + std::string(to_string(tensor.dtype)) + shape_to_string(tensor.shape) +
              " but parameter '" + parameter.name + "' needs " + std::string(to_string(dtype)) +
              shape_to_string(parameter.value.shape()));
    }
  };
  const bool masters = options_.master_weights;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& parameter = parameters_[i];
    for (const std::string& slot : slot_names_) expect(state.tensor(parameter.name + "/" + slot), states_[i]->compute, parameter);
    if (masters && is_low_precision(parameter.value.dtype())) expect(state.tensor(parameter.name + "/master"), DType::F32, parameter);
  }
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& parameter = parameters_[i];
    ParameterState& parameter_state = *states_[i];
    for (std::size_t slot = 0; slot < slot_names_.size(); ++slot) {
      parameter_state.slots[slot].from_host(state.tensor(parameter.name + "/" + slot_names_[slot]).bytes.data());
    }
    if (masters && is_low_precision(parameter.value.dtype())) {
      parameter_state.value_copy.from_host(state.tensor(parameter.name + "/master").bytes.data());
      kernels::narrow_from_f32(parameter.value.device(), parameter.value.dtype(),
                               static_cast<const float*>(parameter_state.value_copy.data()), parameter.value.data(),
                               parameter_state.count);
    }
  }
  step_ = step;
  lr_ = lr;
}

const StateTensor& StateDict::tensor(const std::string& name) const {
  for (const StateTensor& tensor : tensors) {
    if (tensor.name == name) return tensor;
  }
  throw Error(ErrorCode::InvalidArgument, "optimizer state dict has no tensor '" + name + "'");
}

const std::string& StateDict::meta(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) throw Error(ErrorCode::InvalidArgument, "optimizer state dict has no metadata '" + key + "'");
  return it->second;
}

}  // namespace ronde::optim
