// An optimizer's state dict in a checkpoint: its slot tensors as tensors of the CheckpointState,
// its metadata (kind, hyperparameters, step count, learning rate, as exact text) as the state's
// optimizer record, so that a restored optimizer continues bit for bit.
//
//   checkpoint::CheckpointState state;
//   state.add_replicated("fc1.w", Tensor::of(w));
//   training::add_optimizer_state(state, *opt, "adamw");      // "adamw/fc1.w/exp_avg", ...
//   if (ck.restore_latest(state)) training::restore_optimizer_state(state, *opt, "adamw");
//   for (...) {
//     opt->step();
//     training::sync_optimizer_state(state, *opt, "adamw");   // before every save
//     ck.maybe_save(step, state);
//   }
//
// The state owns copies of the optimizer's tensors (the optimizer keeps its slots in its own
// buffers, possibly on a GPU), so they are only as recent as the last add or sync. The tensors are
// replicated: every rank of a data-parallel job holds the same optimizer state. Each tensor is
// named "<name>/<state dict tensor name>" and listed in the optimizer record `name`.
#pragma once

#include <string>
#include <string_view>

#include "ronde/checkpoint/checkpointer.h"
#include "ronde/optim/optimizer.h"

namespace ronde::training {

// Adds `optimizer`'s current state dict to `state` under `name`. A name already used by a tensor
// or optimizer record of `state` is Error(InvalidArgument) naming it; nothing is added then.
void add_optimizer_state(checkpoint::CheckpointState& state, const optim::Optimizer& optimizer, std::string name);

// Copies `optimizer`'s current state dict into what add_optimizer_state(state, ..., name) added.
// Error(NotFound) when `name` was never added; Error(Mismatch) naming the tensor when the state
// dict's tensors no longer have the names, dtypes and shapes that were added.
void sync_optimizer_state(checkpoint::CheckpointState& state, const optim::Optimizer& optimizer,
                          std::string_view name);

// Loads the optimizer record `name` and its tensors, as restore_latest left them in `state`, into
// `optimizer` (Optimizer::load_state_dict). Error(NotFound) when `state` has no record `name` or a
// tensor it lists; the load's own errors (another kind, other hyperparameters or parameters) are
// rethrown with their code, prefixed with the record's name. Call it only after restore_latest
// returned a step: before that, the state holds the optimizer's own state from add or sync.
void restore_optimizer_state(const checkpoint::CheckpointState& state, optim::Optimizer& optimizer,
                             std::string_view name);

}  // namespace ronde::training
