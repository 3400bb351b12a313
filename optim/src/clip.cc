// Global-norm gradient clipping (see clip.h): one pass over each gradient for the sum of squares,
// accumulated in double, and, when clipping, one in-place pass that scales by a single factor.
#include "ronde/optim/clip.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "ronde/core/error.h"
#include "ronde/core/half.h"

namespace ronde::optim {

namespace {

// The shortest text that reads back as `value` ("0.5", "1e-06", "inf", "nan").
std::string show(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Throws Error(InvalidArgument) naming the first gradient that is not a floating-point tensor in
// host memory. Runs before any reduction, so a bad argument never reaches sum_across_ranks.
void check_gradients(std::string_view caller, std::span<const Tensor> grads) {
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const Tensor& grad = grads[i];
    const std::string name = std::string(caller) + ": grads[" + std::to_string(i) + "] (" + grad.describe() + ")";
    if (!grad.device().is_cpu()) {
      throw Error(ErrorCode::InvalidArgument, name + " is not in host memory; gradient clipping needs CPU tensors");
    }
    if (!is_floating_point(grad.dtype())) {
      throw Error(ErrorCode::InvalidArgument, name + " has an integer dtype; gradients must be floating point");
    }
  }
}

// Exact widening of every floating dtype's element to double.
double to_double(float value) { return value; }
double to_double(double value) { return value; }
double to_double(Half value) { return half_to_float(value); }
double to_double(BFloat16 value) { return bfloat16_to_float(value); }

// Sum of the squares of `count` elements, in double. A float's square is exact in double. Eight
// independent partial sums break the loop-carried dependency, so the compiler can vectorise the
// loop without reordering any addition: the result does not depend on compiler flags.
template <class T>
double sum_of_squares(const T* values, std::size_t count) {
  constexpr std::size_t lanes = 8;
  double partial[lanes] = {};
  std::size_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    for (std::size_t lane = 0; lane < lanes; ++lane) {
      const double value = to_double(values[i + lane]);
      partial[lane] += value * value;
    }
  }
  double total = 0;
  for (; i < count; ++i) {
    const double value = to_double(values[i]);
    total += value * value;
  }
  for (double sum : partial) total += sum;
  return total;
}

double sum_of_squares(const Tensor& grad) {
  const auto count = static_cast<std::size_t>(grad.numel());
  switch (grad.dtype()) {
    case DType::F16: return sum_of_squares(static_cast<const Half*>(grad.data()), count);
    case DType::BF16: return sum_of_squares(static_cast<const BFloat16*>(grad.data()), count);
    case DType::F32: return sum_of_squares(static_cast<const float*>(grad.data()), count);
    case DType::F64: return sum_of_squares(static_cast<const double*>(grad.data()), count);
    default: break;
  }
  throw Error(ErrorCode::Internal, "sum_of_squares: " + grad.describe() + " is not floating point");
}

// values[i] *= factor, in the element's own precision.
template <class T>
void scale(T* values, std::size_t count, T factor) {
  for (std::size_t i = 0; i < count; ++i) values[i] *= factor;
}

// 16-bit floats: widen, multiply in float, round once.
template <class Storage, float (*Widen)(Storage), Storage (*Narrow)(float)>
void scale_narrow(Storage* values, std::size_t count, float factor) {
  for (std::size_t i = 0; i < count; ++i) values[i] = Narrow(Widen(values[i]) * factor);
}

void scale(const Tensor& grad, double factor) {
  const auto count = static_cast<std::size_t>(grad.numel());
  const auto narrow_factor = static_cast<float>(factor);
  switch (grad.dtype()) {
    case DType::F16:
      return scale_narrow<Half, half_to_float, float_to_half>(static_cast<Half*>(grad.data()), count, narrow_factor);
    case DType::BF16:
      return scale_narrow<BFloat16, bfloat16_to_float, float_to_bfloat16>(static_cast<BFloat16*>(grad.data()), count,
                                                                          narrow_factor);
    case DType::F32: return scale(static_cast<float*>(grad.data()), count, narrow_factor);
    case DType::F64: return scale(static_cast<double*>(grad.data()), count, factor);
    default: break;
  }
  throw Error(ErrorCode::Internal, "scale: " + grad.describe() + " is not floating point");
}

// The norm, for gradients already checked.
double checked_global_norm(std::span<const Tensor> grads, const SumAcrossRanks& sum_across_ranks) {
  double local = 0;
  for (const Tensor& grad : grads) local += sum_of_squares(grad);
  const double total = sum_across_ranks ? sum_across_ranks(local) : local;
  return std::sqrt(total);
}

}  // namespace

double global_grad_norm(std::span<const Tensor> grads, const SumAcrossRanks& sum_across_ranks) {
  check_gradients("global_grad_norm", grads);
  return checked_global_norm(grads, sum_across_ranks);
}

double clip_grad_norm(std::span<const Tensor> grads, double max_norm, const SumAcrossRanks& sum_across_ranks) {
  if (!std::isfinite(max_norm) || max_norm <= 0) {
    throw Error(ErrorCode::InvalidArgument,
                "clip_grad_norm: max_norm=" + show(max_norm) + " must be finite and positive");
  }
  check_gradients("clip_grad_norm", grads);
  const double norm = checked_global_norm(grads, sum_across_ranks);
  if (!std::isfinite(norm)) return norm;
  // As torch.nn.utils.clip_grad_norm_: the coefficient is clamped to 1, so scale only below 1.
  const double clip_coef = max_norm / (norm + 1e-6);
  if (clip_coef < 1.0) {
    for (const Tensor& grad : grads) scale(grad, clip_coef);
  }
  return norm;
}

}  // namespace ronde::optim
