// A parameter an optimizer updates: its values and its gradient, as views of the caller's memory.
#pragma once

#include <string>

#include "ronde/core/tensor.h"

namespace ronde::optim {

struct Parameter {
  std::string name;  // unique within an optimizer; names the parameter in errors and state dicts
  Tensor value;      // updated in place by Optimizer::step()
  Tensor grad;       // read by step(); same dtype, shape and device as value
};

}  // namespace ronde::optim
