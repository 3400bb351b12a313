// The --model-out file: the trained parameters in a small self-describing format, so that two runs
// can be compared byte for byte (cmp) and the model loaded elsewhere.
//
//   digits_mlp model v1 hidden=H\n          one text line
//   fc1.w  H x 64 float32                   then the raw little-endian values of each parameter,
//   fc1.b  H                                in this order, row-major [out][in], no padding
//   fc2.w  10 x H
//   fc2.b  10
#pragma once

#include <span>
#include <string>

#include "ronde/optim/parameter.h"

namespace digits {

// Writes `parameters` (fc1.w, fc1.b, fc2.w, fc2.b of a model with `hidden` units) to `path`
// through a temporary file and a rename, so a reader never sees half a model. Creates the parent
// directory. Error(Storage) naming the path when it cannot be written.
void write_model_file(const std::string& path, int hidden, std::span<const ronde::optim::Parameter> parameters);

}  // namespace digits
