#include "torch_state.h"

#include <c10/util/string_utils.h>

#include "ronde/core/error.h"

namespace {

ronde::Tensor view_of(const torch::Tensor& tensor) {
  if (tensor.scalar_type() != torch::kFloat32 || !tensor.is_contiguous() || !tensor.device().is_cpu()) {
    throw ronde::Error(ronde::ErrorCode::InvalidArgument, "checkpointed tensors must be contiguous float32 CPU tensors");
  }
  std::vector<std::int64_t> shape(tensor.sizes().begin(), tensor.sizes().end());
  return ronde::Tensor(tensor.data_ptr<float>(), ronde::DType::F32, std::move(shape));
}

// The key torch::optim uses for a parameter's state.
std::string state_key(const torch::Tensor& parameter) { return c10::guts::to_string(parameter.unsafeGetTensorImpl()); }

torch::optim::SGDParamState& momentum_state(torch::optim::SGD& optimizer, const torch::Tensor& parameter) {
  auto found = optimizer.state().find(state_key(parameter));
  if (found == optimizer.state().end()) {
    throw ronde::Error(ronde::ErrorCode::InvalidArgument, "SGD has no state for a parameter: call create_momentum_buffers first");
  }
  return static_cast<torch::optim::SGDParamState&>(*found->second);
}

}  // namespace

void create_momentum_buffers(torch::optim::SGD& optimizer) {
  for (auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const torch::optim::SGDOptions&>(group.options());
    if (options.momentum() <= 0 || options.dampening() != 0) {
      throw ronde::Error(ronde::ErrorCode::InvalidArgument, "create_momentum_buffers needs momentum > 0 and dampening == 0");
    }
    for (const auto& parameter : group.params()) {
      auto& slot = optimizer.state()[state_key(parameter)];
      if (slot) continue;
      auto state = std::make_unique<torch::optim::SGDParamState>();
      state->momentum_buffer(torch::zeros_like(parameter));
      slot = std::move(state);
    }
  }
}

void add_torch_state(ronde::checkpoint::CheckpointState& state, torch::nn::Module& module, torch::optim::SGD& optimizer) {
  for (const auto& item : module.named_parameters()) {
    state.add_replicated("model/" + item.key(), view_of(item.value()));
    state.add_replicated("sgd/" + item.key() + "/momentum_buffer",
                         view_of(momentum_state(optimizer, item.value()).momentum_buffer()));
  }
}
