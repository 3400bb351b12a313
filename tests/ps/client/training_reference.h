// Data-parallel training done locally, as the reference the parameter server must reproduce: each
// step, the mean of every worker's gradient (what an allreduce-average gives every rank), applied
// by ronde::optim. Gradients are multiples of 1/8, so their sums are exact in any order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ronde/optim/optimizer.h"
#include "ronde/ps/shard_map.h"

namespace ronde::ps::testing {

struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t numel() const;
};

// Worker `worker`'s gradient of element i of `tensor` at step `step`.
float gradient_value(std::uint32_t worker, std::int64_t step, std::size_t i, std::size_t tensor);
float initial_value(std::size_t i, std::size_t tensor);

// The values after `steps` steps of `optimizer` with `options` on the mean of `workers` workers'
// gradients. With `per_partition` each partition of `map` is its own parameter, as on the servers
// (it matters for LAMB, whose trust ratio is per parameter); otherwise each tensor is one.
std::map<std::string, std::vector<float>> reference_training(const std::vector<TensorSpec>& tensors,
                                                             const std::string& optimizer,
                                                             const optim::OptionMap& options, std::uint32_t workers,
                                                             std::int64_t steps, const ShardMap* per_partition);

}  // namespace ronde::ps::testing
