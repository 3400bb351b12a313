// broadcast_parameters and broadcast_optimizer_state (distributed_optimizer.h).
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "ronde/training/distributed_optimizer.h"
#include "state_dict_layout.h"

namespace ronde::training {
namespace {

// Waits for every handle, then rethrows the first error (so no operation still uses memory the
// caller may free once this returns or throws).
void wait_all(const std::vector<Handle>& handles) {
  std::exception_ptr first;
  for (const Handle& handle : handles) {
    try {
      handle.wait();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

// Enqueues one broadcast per entry of `work` (name and tensor), then waits for all, also when an
// enqueue throws.
void broadcast_all(Engine& engine, const std::vector<std::pair<std::string, Tensor>>& work, int root) {
  std::vector<Handle> handles;
  handles.reserve(work.size());
  try {
    for (const auto& [name, tensor] : work) handles.push_back(engine.broadcast_async(name, tensor, root));
  } catch (...) {
    try {
      wait_all(handles);
    } catch (...) {
      // The enqueue's error is the one to report.
    }
    throw;
  }
  wait_all(handles);
}

Tensor bytes_tensor(std::vector<std::byte>& bytes) {
  return Tensor(bytes.data(), DType::U8, {static_cast<std::int64_t>(bytes.size())});
}

}  // namespace

void broadcast_parameters(Engine& engine, std::span<const optim::Parameter> parameters, int root) {
  std::vector<std::pair<std::string, Tensor>> work;
  work.reserve(parameters.size());
  for (const auto& parameter : parameters) work.emplace_back("broadcast/" + parameter.name, parameter.value);
  broadcast_all(engine, work, root);
}

void broadcast_optimizer_state(Engine& engine, optim::Optimizer& optimizer, int root) {
  const bool is_root = engine.context().rank() == root;
  // Root's layout first (its size, then its bytes), so every rank can allocate what follows.
  optim::StateDict dict;
  std::vector<std::byte> layout;
  if (is_root) {
    dict = optimizer.state_dict();
    layout = encode_layout(dict);
  }
  std::int64_t layout_size = static_cast<std::int64_t>(layout.size());
  engine.broadcast("optimizer_state/layout_size", Tensor(&layout_size, DType::I64, {1}), root);
  layout.resize(static_cast<std::size_t>(layout_size));
  engine.broadcast("optimizer_state/layout", bytes_tensor(layout), root);
  if (!is_root) dict = decode_layout(layout);

  std::vector<std::pair<std::string, Tensor>> work;
  for (auto& tensor : dict.tensors) {
    if (tensor.bytes.empty()) continue;
    work.emplace_back("optimizer_state/" + tensor.name, bytes_tensor(tensor.bytes));
  }
  broadcast_all(engine, work, root);
  if (!is_root) optimizer.load_state_dict(dict);
}

}  // namespace ronde::training
