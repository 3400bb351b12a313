// The optimizer state dict <-> CheckpointState mapping (checkpoint_state.h).
#include "ronde/training/checkpoint_state.h"

#include <cstring>

#include "ronde/core/error.h"

namespace ronde::training {
namespace {

std::string tensor_name(std::string_view record, const std::string& dict_tensor) {
  return std::string(record) + "/" + dict_tensor;
}

const checkpoint::StateOptimizer* find_record(const checkpoint::CheckpointState& state, std::string_view name) {
  for (const auto& record : state.optimizers()) {
    if (record.name == name) return &record;
  }
  return nullptr;
}

// The state's tensor `name`, which must be a dense copy target of `dict_tensor`'s layout.
const checkpoint::StateTensor& layout_checked(const checkpoint::CheckpointState& state, const std::string& name,
                                              const optim::StateTensor& dict_tensor, std::string_view record) {
  const checkpoint::StateTensor* target = state.find(name);
  if (target == nullptr) {
    throw Error(ErrorCode::Mismatch, "optimizer state '" + std::string(record) + "': tensor '" + name +
                                         "' of the optimizer's state dict was not added to the checkpoint state");
  }
  if (target->tensor.dtype() != dict_tensor.dtype || target->tensor.shape() != dict_tensor.shape ||
      target->tensor.nbytes() != dict_tensor.bytes.size()) {
    throw Error(ErrorCode::Mismatch, "optimizer state '" + std::string(record) + "': tensor '" + name + "' is " +
                                         std::string(to_string(dict_tensor.dtype)) + shape_to_string(dict_tensor.shape) +
                                         " in the optimizer but " + target->tensor.describe() +
                                         " in the checkpoint state");
  }
  return *target;
}

void copy_into(const Tensor& target, const optim::StateTensor& source) {
  if (!source.bytes.empty()) std::memcpy(target.data(), source.bytes.data(), source.bytes.size());
}

}  // namespace

void add_optimizer_state(checkpoint::CheckpointState& state, const optim::Optimizer& optimizer, std::string name) {
  if (find_record(state, name) != nullptr) {
    throw Error(ErrorCode::InvalidArgument, "optimizer state '" + name + "' was added twice");
  }
  optim::StateDict dict = optimizer.state_dict();
  // Check every name first, so that a clash adds nothing.
  for (const auto& tensor : dict.tensors) {
    if (state.find(tensor_name(name, tensor.name)) != nullptr) {
      throw Error(ErrorCode::InvalidArgument, "optimizer state '" + name + "': the checkpoint state already has a "
                                              "tensor '" + tensor_name(name, tensor.name) + "'");
    }
  }
  checkpoint::StateOptimizer record{name, std::move(dict.metadata), {}};
  for (const auto& tensor : dict.tensors) {
    std::string full = tensor_name(name, tensor.name);
    copy_into(state.add_owned(full, tensor.dtype, tensor.shape, checkpoint::TensorScope::Replicated), tensor);
    record.tensors.push_back(std::move(full));
  }
  state.add_optimizer(std::move(record));
}

void sync_optimizer_state(checkpoint::CheckpointState& state, const optim::Optimizer& optimizer,
                          std::string_view name) {
  checkpoint::StateOptimizer* record = state.find_optimizer(name);
  if (record == nullptr) {
    throw Error(ErrorCode::NotFound, "optimizer state '" + std::string(name) + "' was never added to the checkpoint state");
  }
  optim::StateDict dict = optimizer.state_dict();
  if (dict.tensors.size() != record->tensors.size()) {
    throw Error(ErrorCode::Mismatch, "optimizer state '" + std::string(name) + "' has " +
                                         std::to_string(dict.tensors.size()) + " tensors now but " +
                                         std::to_string(record->tensors.size()) + " were added");
  }
  // Check every tensor before copying any, so that a mismatch changes nothing.
  for (const auto& tensor : dict.tensors) layout_checked(state, tensor_name(name, tensor.name), tensor, name);
  for (const auto& tensor : dict.tensors) copy_into(state.find(tensor_name(name, tensor.name))->tensor, tensor);
  record->metadata = std::move(dict.metadata);
}

void restore_optimizer_state(const checkpoint::CheckpointState& state, optim::Optimizer& optimizer,
                             std::string_view name) {
  const checkpoint::StateOptimizer* record = find_record(state, name);
  if (record == nullptr) {
    throw Error(ErrorCode::NotFound, "optimizer state '" + std::string(name) + "' is not in the checkpoint state");
  }
  const std::string prefix = std::string(name) + "/";
  optim::StateDict dict;
  dict.metadata = record->metadata;
  for (const std::string& full : record->tensors) {
    const checkpoint::StateTensor* tensor = state.find(full);
    if (tensor == nullptr || !full.starts_with(prefix)) {
      throw Error(ErrorCode::NotFound, "optimizer state '" + std::string(name) + "' lists tensor '" + full +
                                           "', which is not in the checkpoint state under '" + prefix + "'");
    }
    const auto* bytes = static_cast<const std::byte*>(tensor->tensor.data());
    dict.tensors.push_back({full.substr(prefix.size()), tensor->tensor.dtype(), tensor->tensor.shape(),
                            std::vector<std::byte>(bytes, bytes + tensor->tensor.nbytes())});
  }
  try {
    optimizer.load_state_dict(dict);
  } catch (const Error& error) {
    throw Error(error.code(), "optimizer state '" + std::string(name) + "': " + error.message());
  }
}

}  // namespace ronde::training
