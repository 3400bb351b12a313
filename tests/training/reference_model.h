// What the gradient-path tests share (threads and mpirun): a small model per rank whose gradients
// average exactly, the single-process reference it must match, and the orders ranks mark in.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ronde/core/tensor.h"
#include "ronde/optim/optimizer.h"
#include "ronde/optim/parameter.h"

namespace ronde::training {

// Parameter sizes (floats): a mix of large and tiny, so buckets hold several gradients.
inline const std::vector<std::size_t> kSizes = {1000, 3, 4096, 17, 250, 1, 777};

// One rank's model: owned values and gradients and the Parameters viewing them.
struct Model {
  std::vector<std::vector<float>> values, grads;
  std::vector<optim::Parameter> parameters;

  explicit Model(const std::vector<std::size_t>& sizes, float init_offset = 0) {
    values.resize(sizes.size());
    grads.resize(sizes.size());
    for (std::size_t p = 0; p < sizes.size(); ++p) {
      values[p].resize(sizes[p]);
      grads[p].assign(sizes[p], 0.0f);
      for (std::size_t i = 0; i < sizes[p]; ++i) values[p][i] = init_offset + 0.01f * static_cast<float>((i + 3 * p) % 29);
      parameters.push_back({"layer" + std::to_string(p) + ".w", Tensor::of(values[p]), Tensor::of(grads[p])});
    }
  }
};

// Rank r's gradient element at step s: small multiples of 1/8, so the sum over up to 8 ranks and
// the division by a power-of-two rank count are exact in float whatever the reduction order.
inline float gradient(int rank, int step, std::size_t p, std::size_t i) {
  return static_cast<float>(static_cast<int>((i * 7 + p * 3 + static_cast<std::size_t>(step)) % 11) * (rank + 1) - 5) / 8.0f;
}

inline void fill_gradients(Model& model, int rank, int step) {
  for (std::size_t p = 0; p < model.grads.size(); ++p) {
    for (std::size_t i = 0; i < model.grads[p].size(); ++i) model.grads[p][i] = gradient(rank, step, p, i);
  }
}

inline void fill_average(Model& model, int ranks, int step) {
  for (std::size_t p = 0; p < model.grads.size(); ++p) {
    for (std::size_t i = 0; i < model.grads[p].size(); ++i) {
      float sum = 0;
      for (int r = 0; r < ranks; ++r) sum += gradient(r, step, p, i);
      model.grads[p][i] = sum / static_cast<float>(ranks);
    }
  }
}

inline std::unique_ptr<optim::Optimizer> make_adam(const Model& model) {
  return optim::make_adam(model.parameters, {.lr = 0.01, .weight_decay = 0.001});
}

// The order rank r marks its gradients in: rank 0 as backward would (last first), rank 1 first to
// last, the others shuffled.
inline std::vector<std::size_t> mark_order(int rank, std::size_t count, int step) {
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  if (rank == 0) std::reverse(order.begin(), order.end());
  if (rank >= 2) std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(rank * 100 + step)));
  return order;
}

}  // namespace ronde::training
