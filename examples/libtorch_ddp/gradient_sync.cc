#include "gradient_sync.h"

#include "ronde/core/error.h"

namespace {

ronde::Tensor view_of(torch::Tensor& tensor) {
  std::vector<std::int64_t> shape(tensor.sizes().begin(), tensor.sizes().end());
  return ronde::Tensor(tensor.data_ptr<float>(), ronde::DType::F32, std::move(shape));
}

}  // namespace

GradientSync::GradientSync(ronde::Engine& engine, torch::nn::Module& module) : engine_(engine) {
  const auto named = module.named_parameters();
  entries_.reserve(named.size());  // hooks keep pointers into entries_: no reallocation after this
  for (const auto& item : named) {
    torch::Tensor parameter = item.value();
    if (parameter.scalar_type() != torch::kFloat32 || !parameter.device().is_cpu()) {
      throw ronde::Error(ronde::ErrorCode::InvalidArgument,
                         "GradientSync supports float32 CPU parameters; " + item.key() + " is not");
    }
    entries_.push_back({"grad/" + item.key(), parameter, torch::zeros_like(parameter), {}, false});
  }
  for (Entry& entry : entries_) {
    // The hook sees the gradient backward computed for this parameter; returning nothing lets
    // autograd store it in .grad() as usual (finish() then overwrites it with the average).
    entry.parameter.register_hook([this, &entry](const torch::Tensor& gradient) { launch(entry, gradient); });
  }
}

void GradientSync::launch(Entry& entry, const torch::Tensor& gradient) {
  std::lock_guard lock(mutex_);
  if (entry.launched) {
    throw ronde::Error(ronde::ErrorCode::InvalidArgument,
                       "parameter " + entry.name + " received two gradients in one step (one backward per step)");
  }
  entry.averaged.copy_(gradient);
  entry.handle = engine_.allreduce_async(entry.name, view_of(entry.averaged), ronde::ReduceOp::Average);
  entry.launched = true;
}

void GradientSync::finish() {
  std::vector<std::string> missing;
  for (Entry& entry : entries_) {
    if (!entry.launched) missing.push_back(entry.name);
  }
  if (!missing.empty()) {
    std::string names;
    for (const auto& name : missing) names += (names.empty() ? "" : ", ") + name;
    throw ronde::Error(ronde::ErrorCode::InvalidArgument, "no gradient this step for " + names);
  }
  for (Entry& entry : entries_) {
    entry.handle.wait();
    entry.parameter.mutable_grad().copy_(entry.averaged);
    entry.launched = false;
  }
}
