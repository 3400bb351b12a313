// CheckpointState: the named tensors and records a program saves.
#include <algorithm>

#include "checkpointer/device_copy.h"
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint {

void CheckpointState::add(std::string name, Tensor tensor, TensorScope scope) {
  if (name.empty()) throw Error(ErrorCode::InvalidArgument, "checkpoint state: a tensor name is empty");
  if (find(name) != nullptr) {
    throw Error(ErrorCode::InvalidArgument, "checkpoint state: tensor '" + name + "' was added twice");
  }
  if (!tensor.device().is_cpu() && !detail::DeviceCopier::supports_cuda()) {
    throw Error(ErrorCode::InvalidArgument, "checkpoint state: tensor '" + name + "' is " + tensor.describe() +
                                                "; this build of ronde has no CUDA, so only CPU tensors can be saved");
  }
  tensors_.push_back({std::move(name), std::move(tensor), scope});
}

void CheckpointState::add_replicated(std::string name, Tensor tensor) {
  add(std::move(name), std::move(tensor), TensorScope::Replicated);
}

void CheckpointState::add_per_rank(std::string name, Tensor tensor) {
  add(std::move(name), std::move(tensor), TensorScope::PerRank);
}

Tensor CheckpointState::add_owned(std::string name, DType dtype, std::vector<std::int64_t> shape, TensorScope scope) {
  std::size_t bytes = dtype_size(dtype);
  for (std::int64_t dim : shape) {
    if (dim < 0) {
      throw Error(ErrorCode::InvalidArgument, "checkpoint state: tensor '" + name + "' has a negative dimension " +
                                                  shape_to_string(shape));
    }
    bytes *= static_cast<std::size_t>(dim);
  }
  if (find(name) != nullptr) {
    throw Error(ErrorCode::InvalidArgument, "checkpoint state: tensor '" + name + "' was added twice");
  }
  owned_.emplace_back(bytes);
  Tensor view(owned_.back().empty() ? nullptr : owned_.back().data(), dtype, std::move(shape));
  add(std::move(name), view, scope);
  return view;
}

void CheckpointState::add_optimizer(StateOptimizer optimizer) {
  if (optimizer.name.empty()) throw Error(ErrorCode::InvalidArgument, "checkpoint state: an optimizer name is empty");
  if (find_optimizer(optimizer.name) != nullptr) {
    throw Error(ErrorCode::InvalidArgument, "checkpoint state: optimizer '" + optimizer.name + "' was added twice");
  }
  optimizers_.push_back(std::move(optimizer));
}

const StateTensor* CheckpointState::find(std::string_view name) const {
  auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const StateTensor& t) { return t.name == name; });
  return it == tensors_.end() ? nullptr : &*it;
}

StateOptimizer* CheckpointState::find_optimizer(std::string_view name) {
  auto it = std::find_if(optimizers_.begin(), optimizers_.end(), [&](const StateOptimizer& o) { return o.name == name; });
  return it == optimizers_.end() ? nullptr : &*it;
}

}  // namespace ronde::checkpoint
