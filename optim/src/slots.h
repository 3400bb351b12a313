// What an optimizer's update() works on for one parameter (internal to optim).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ronde/core/tensor.h"
#include "ronde/optim/optimizer.h"

namespace ronde::optim {

// All buffers hold `count` elements of `compute` (F32 or F64) on `device`:
//   value  the parameter in compute precision (the parameter's own memory for f32/f64, else an
//          f32 copy: the master weights, or a per-step scratch),
//   grad   the gradient in compute precision (likewise),
//   state  the optimizer's slots, in the order of the slot names it declared.
struct Optimizer::Slots {
  const std::string* name;
  DType compute;
  Device device;
  std::size_t count;
  void* value;
  const void* grad;
  std::vector<void*> state;
};

// Calls body(T{}) with T = float or double, the compute type of `slots`.
template <class Body>
void with_compute_type(const Optimizer::Slots& slots, Body&& body) {
  if (slots.compute == DType::F64) {
    body(double{});
  } else {
    body(float{});
  }
}

}  // namespace ronde::optim
