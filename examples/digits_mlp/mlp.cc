#include "mlp.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace digits {

namespace {

// Uniform in [-bound, bound) from the generator's raw 64-bit output (the same with any compiler).
float uniform(std::mt19937_64& generator, float bound) {
  const double unit = static_cast<double>(generator() >> 11) * 0x1.0p-53;  // [0, 1)
  return static_cast<float>((2.0 * unit - 1.0) * bound);
}

// Softmax cross-entropy of one row of logits against `label`: returns the loss and writes
// d loss / d logits (softmax - one_hot) to `dlogits`, which may be `logits` itself.
double softmax_cross_entropy(const float* logits, int label, float* dlogits) {
  const float largest = *std::max_element(logits, logits + kClasses);
  double total = 0;
  for (int k = 0; k < kClasses; ++k) total += std::exp(static_cast<double>(logits[k] - largest));
  const double loss = std::log(total) - static_cast<double>(logits[label] - largest);
  for (int k = 0; k < kClasses; ++k) {  // may overwrite logits: they are not read after their own k
    dlogits[k] =
        static_cast<float>(std::exp(static_cast<double>(logits[k] - largest)) / total) - (k == label ? 1.0f : 0.0f);
  }
  return loss;
}

int argmax(const float* values, int count) {
  return static_cast<int>(std::max_element(values, values + count) - values);
}

}  // namespace

Mlp::Mlp(int hidden, std::uint64_t seed)
    : hidden_(hidden),
      w1_(static_cast<std::size_t>(hidden) * kPixels),
      b1_(hidden),
      w2_(static_cast<std::size_t>(kClasses) * hidden),
      b2_(kClasses),
      dw1_(w1_.size()),
      db1_(b1_.size()),
      dw2_(w2_.size()),
      db2_(b2_.size()) {
  std::mt19937_64 generator(seed);
  for (float& w : w1_) w = uniform(generator, 1.0f / std::sqrt(static_cast<float>(kPixels)));
  for (float& w : w2_) w = uniform(generator, 1.0f / std::sqrt(static_cast<float>(hidden)));
}

std::vector<ronde::optim::Parameter> Mlp::parameters() {
  using ronde::Tensor;
  return {{"fc1.w", Tensor::of(w1_), Tensor::of(dw1_)},
          {"fc1.b", Tensor::of(b1_), Tensor::of(db1_)},
          {"fc2.w", Tensor::of(w2_), Tensor::of(dw2_)},
          {"fc2.b", Tensor::of(b2_), Tensor::of(db2_)}};
}

void Mlp::forward(const float* image, float* z1, float* z2) const {
  for (int j = 0; j < hidden_; ++j) {
    const float* w = &w1_[static_cast<std::size_t>(j) * kPixels];
    float sum = b1_[j];
    for (int i = 0; i < kPixels; ++i) sum += w[i] * image[i];
    z1[j] = sum;
  }
  for (int k = 0; k < kClasses; ++k) {
    const float* w = &w2_[static_cast<std::size_t>(k) * hidden_];
    float sum = b2_[k];
    for (int j = 0; j < hidden_; ++j) sum += w[j] * std::max(z1[j], 0.0f);  // ReLU
    z2[k] = sum;
  }
}

Mlp::BatchStats Mlp::train_batch(const Dataset& data, std::span<const std::size_t> rows, float gradient_scale,
                                 const std::function<void(std::string_view)>& gradient_ready) {
  const std::size_t n = rows.size();
  const std::size_t h = static_cast<std::size_t>(hidden_);
  BatchStats stats;
  stats.rows = static_cast<std::int64_t>(n);

  // Forward: keep every row's hidden pre-activations; the logits become d loss / d logits.
  std::vector<float> z1(n * h), dz2(n * kClasses);
  for (std::size_t r = 0; r < n; ++r) {
    const int label = data.labels[rows[r]];
    float* logits = &dz2[r * kClasses];
    forward(data.image(rows[r]), &z1[r * h], logits);
    if (argmax(logits, kClasses) == label) ++stats.correct;
    stats.loss_sum += softmax_cross_entropy(logits, label, logits);
    for (int k = 0; k < kClasses; ++k) logits[k] *= gradient_scale;
  }

  // Backward, last layer first. fc2: dW2 = dZ2^T relu(Z1), db2 = sum of dZ2.
  std::fill(dw2_.begin(), dw2_.end(), 0.0f);
  std::fill(db2_.begin(), db2_.end(), 0.0f);
  for (std::size_t r = 0; r < n; ++r) {
    for (int k = 0; k < kClasses; ++k) {
      const float g = dz2[r * kClasses + k];
      db2_[k] += g;
      float* dw = &dw2_[k * h];
      for (std::size_t j = 0; j < h; ++j) dw[j] += g * std::max(z1[r * h + j], 0.0f);
    }
  }
  gradient_ready("fc2.b");
  gradient_ready("fc2.w");

  // fc1: dZ1 = (dZ2 W2) * (Z1 > 0), then dW1 = dZ1^T X, db1 = sum of dZ1.
  std::fill(dw1_.begin(), dw1_.end(), 0.0f);
  std::fill(db1_.begin(), db1_.end(), 0.0f);
  std::vector<float> dz1(h);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t j = 0; j < h; ++j) {
      float g = 0;
      if (z1[r * h + j] > 0) {
        for (int k = 0; k < kClasses; ++k) g += dz2[r * kClasses + k] * w2_[k * h + j];
      }
      dz1[j] = g;
    }
    const float* x = data.image(rows[r]);
    for (std::size_t j = 0; j < h; ++j) {
      if (dz1[j] == 0.0f) continue;  // an inactive ReLU: nothing to add
      db1_[j] += dz1[j];
      float* dw = &dw1_[j * kPixels];
      for (int i = 0; i < kPixels; ++i) dw[i] += dz1[j] * x[i];
    }
  }
  gradient_ready("fc1.b");
  gradient_ready("fc1.w");
  return stats;
}

int Mlp::predict(const float* image) const {
  std::vector<float> z1(static_cast<std::size_t>(hidden_));
  float z2[kClasses];
  forward(image, z1.data(), z2);
  return argmax(z2, kClasses);
}

double accuracy(const Mlp& model, const Dataset& data) {
  std::int64_t correct = 0;
  for (std::size_t row = 0; row < data.rows(); ++row) correct += model.predict(data.image(row)) == data.labels[row];
  return data.rows() == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(data.rows());
}

}  // namespace digits
