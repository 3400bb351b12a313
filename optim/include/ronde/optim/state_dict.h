// An optimizer's complete state as named tensors plus a small metadata record, so a checkpoint can
// store it and a restore continues bit-for-bit.
//
// Tensor names are "<parameter name>/<slot>" (e.g. "fc1.w/exp_avg", "fc1.w/master"); metadata
// holds the optimizer's name, its hyperparameters, the step count and the learning rate, as text
// that round-trips exactly (floating-point values in hexadecimal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ronde/core/dtype.h"

namespace ronde::optim {

struct StateTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> bytes;  // dense, row-major
};

struct StateDict {
  std::vector<StateTensor> tensors;
  std::map<std::string, std::string> metadata;

  // The tensor called `name`; throws Error(InvalidArgument) naming it when absent.
  const StateTensor& tensor(const std::string& name) const;
  // The metadata value under `key`; throws Error(InvalidArgument) naming it when absent.
  const std::string& meta(const std::string& key) const;
};

}  // namespace ronde::optim
