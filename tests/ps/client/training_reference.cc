#include "training_reference.h"

#include "ronde/core/tensor.h"

namespace ronde::ps::testing {

std::size_t TensorSpec::numel() const {
  std::size_t count = 1;
  for (const auto dim : shape) count *= static_cast<std::size_t>(dim);
  return count;
}

float gradient_value(std::uint32_t worker, std::int64_t step, std::size_t i, std::size_t tensor) {
  const auto pattern = static_cast<std::int64_t>((i * 7 + static_cast<std::size_t>(step) * 3 + tensor * 5) % 11);
  return static_cast<float>(static_cast<std::int64_t>(worker + 1) * pattern - 5) * 0.125f;
}

float initial_value(std::size_t i, std::size_t tensor) {
  return static_cast<float>((i + tensor) % 13) * 0.25f - 1.5f;
}

std::map<std::string, std::vector<float>> reference_training(const std::vector<TensorSpec>& tensors,
                                                             const std::string& optimizer,
                                                             const optim::OptionMap& options, std::uint32_t workers,
                                                             std::int64_t steps, const ShardMap* per_partition) {
  std::map<std::string, std::vector<float>> values, grads;
  std::vector<optim::Parameter> parameters;
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    const auto& spec = tensors[t];
    auto& value = values[spec.name];
    auto& grad = grads[spec.name];
    value.resize(spec.numel());
    grad.resize(spec.numel());
    for (std::size_t i = 0; i < value.size(); ++i) value[i] = initial_value(i, t);
    if (per_partition == nullptr) {
      parameters.push_back({spec.name, Tensor::of(value), Tensor::of(grad)});
      continue;
    }
    for (const auto& partition : per_partition->place(spec.name, DType::F32, spec.shape).partitions) {
      const auto length = static_cast<std::int64_t>(partition.length);
      parameters.push_back({spec.name + "/" + std::to_string(partition.index),
                            Tensor(value.data() + partition.offset, DType::F32, {length}),
                            Tensor(grad.data() + partition.offset, DType::F32, {length})});
    }
  }
  auto opt = optim::make_optimizer(optimizer, options, parameters);
  for (std::int64_t step = 0; step < steps; ++step) {
    for (std::size_t t = 0; t < tensors.size(); ++t) {
      auto& grad = grads[tensors[t].name];
      for (std::size_t i = 0; i < grad.size(); ++i) {
        float sum = 0;
        for (std::uint32_t w = 0; w < workers; ++w) sum += gradient_value(w, step, i, t);
        grad[i] = sum / static_cast<float>(workers);
      }
    }
    opt->step();
  }
  return values;
}

}  // namespace ronde::ps::testing
