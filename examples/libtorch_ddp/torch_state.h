// A libtorch model and its torch::optim::SGD state as a ronde CheckpointState: every parameter and
// every momentum buffer is a view of libtorch's own memory, so a save reads the live tensors and a
// restore writes straight into them.
//
// torch::optim::SGD creates a parameter's momentum buffer lazily at its first step, as a copy of
// the gradient. Creating it up front as zeros gives the same first step (0 * momentum + gradient,
// without dampening), and gives the checkpoint a fixed set of tensors from step 0.
#pragma once

#include <torch/torch.h>

#include "ronde/checkpoint/checkpointer.h"

// Creates zero momentum buffers for every parameter of `optimizer` that has none (requires
// momentum > 0 and dampening == 0, else Error(InvalidArgument)).
void create_momentum_buffers(torch::optim::SGD& optimizer);

// Adds `module`'s parameters ("model/<name>") and `optimizer`'s momentum buffers
// ("sgd/<name>/momentum_buffer") to `state` as replicated tensors.
void add_torch_state(ronde::checkpoint::CheckpointState& state, torch::nn::Module& module,
                     torch::optim::SGD& optimizer);
