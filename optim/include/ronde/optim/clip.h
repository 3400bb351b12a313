// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ defines it.
//
// The norm is over all gradients together (one pass over each tensor, accumulated in double, one
// total), never per tensor. In data-parallel training call it after the gradients have been
// averaged across ranks: every rank then holds the same averaged gradient and computes the same
// norm with no communication. When each rank holds only part of the gradients (sharded), pass
// `sum_across_ranks`, which must return the sum of its argument over all ranks: the per-rank sums
// of squares are combined in that one reduction.
#pragma once

#include <functional>
#include <span>

#include "ronde/core/tensor.h"

namespace ronde::optim {

using SumAcrossRanks = std::function<double(double)>;

// sqrt(sum over all elements of all gradients of g^2). CPU tensors of any floating dtype;
// throws Error(InvalidArgument) naming the tensor for integer dtypes.
double global_grad_norm(std::span<const Tensor> grads, const SumAcrossRanks& sum_across_ranks = {});

// Computes the global norm; if it exceeds max_norm, scales every gradient in place by
// max_norm / (norm + 1e-6). Returns the norm before clipping. A NaN or infinite norm is returned
// as is and leaves the gradients untouched (the caller decides whether to skip the step).
double clip_grad_norm(std::span<const Tensor> grads, double max_norm, const SumAcrossRanks& sum_across_ranks = {});

}  // namespace ronde::optim
