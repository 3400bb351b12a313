// The layout of an optimizer state dict (metadata, and each tensor's name, dtype and shape, not its
// bytes) as one byte string, so a root rank can broadcast it before the tensors themselves.
#pragma once

#include <cstddef>
#include <vector>

#include "ronde/optim/state_dict.h"

namespace ronde::training {

std::vector<std::byte> encode_layout(const optim::StateDict& dict);

// A StateDict with `encoded`'s metadata and tensors whose bytes are allocated (zeroed) to their
// full size. Throws Error(Corrupt) when `encoded` is not an encode_layout() result.
optim::StateDict decode_layout(const std::vector<std::byte>& encoded);

}  // namespace ronde::training
