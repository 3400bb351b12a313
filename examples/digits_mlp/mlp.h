// A two-layer perceptron for 8x8 digits, with its forward and backward pass written out:
//
//   x [64] -> fc1 (hidden x 64, + b1) -> ReLU -> fc2 (10 x hidden, + b2) -> softmax cross-entropy
//
// Weights are row-major [out][in]. The model owns its parameters and their gradients; the
// optimizer and the checkpointer see them as views (parameters()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "digits_data.h"
#include "ronde/optim/parameter.h"

namespace digits {

class Mlp {
 public:
  // Weights drawn from `seed` (uniform in +-1/sqrt(fan_in), as PyTorch's nn.Linear), biases zero.
  Mlp(int hidden, std::uint64_t seed);

  int hidden() const { return hidden_; }
  // fc1.w, fc1.b, fc2.w, fc2.b: views of the values and gradients, in forward order. The views stay
  // valid for the model's lifetime (the buffers never reallocate).
  std::vector<ronde::optim::Parameter> parameters();

  // What one batch contributed: summed loss, correct predictions, rows.
  struct BatchStats {
    double loss_sum = 0;
    std::int64_t correct = 0;
    std::int64_t rows = 0;
  };

  // Forward and backward over `rows` of `data`. Each gradient becomes
  //   gradient_scale * (sum over the rows of d loss / d parameter)
  // and, as soon as it is final, its parameter's name is passed to `gradient_ready` - in backward
  // order: fc2.b, fc2.w, fc1.b, fc1.w. Empty `rows` give zero gradients.
  BatchStats train_batch(const Dataset& data, std::span<const std::size_t> rows, float gradient_scale,
                         const std::function<void(std::string_view name)>& gradient_ready);

  // The predicted digit of one image.
  int predict(const float* image) const;

 private:
  // hidden pre-activations z1 and logits z2 of one image.
  void forward(const float* image, float* z1, float* z2) const;

  int hidden_;
  std::vector<float> w1_, b1_, w2_, b2_;      // values
  std::vector<float> dw1_, db1_, dw2_, db2_;  // gradients
};

// The share of `data` that `model` classifies correctly, in [0, 1].
double accuracy(const Mlp& model, const Dataset& data);

}  // namespace digits
