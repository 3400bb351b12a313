// Global-norm gradient clipping: the norm over several tensors of mixed dtypes, scaling as
// torch.nn.utils.clip_grad_norm_ does, the sum_across_ranks hook, and argument errors.
#include "ronde/optim/clip.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ronde/core/error.h"
#include "ronde/core/half.h"
#include "ronde/core/tensor.h"
#include "support/test_helpers.h"

namespace {

using ronde::BFloat16;
using ronde::Error;
using ronde::ErrorCode;
using ronde::Half;
using ronde::Tensor;
using ronde::testing::error_from;
using ::testing::HasSubstr;
namespace optim = ronde::optim;

std::vector<Half> halves(std::initializer_list<float> values) {
  std::vector<Half> out;
  for (float value : values) out.push_back(ronde::float_to_half(value));
  return out;
}

std::vector<BFloat16> bfloats(std::initializer_list<float> values) {
  std::vector<BFloat16> out;
  for (float value : values) out.push_back(ronde::float_to_bfloat16(value));
  return out;
}

// The message of the InvalidArgument error `action` throws.
std::string invalid_argument_from(const std::function<void()>& action) {
  const Error error = error_from(action);
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument) << error.what();
  return error.message();
}

TEST(GlobalGradNorm, IsTheNormOfAllGradientsTogether) {
  std::vector<float> a = {1, 2};
  std::vector<double> b = {2};
  std::vector<Half> c = halves({4});
  std::vector<BFloat16> d = bfloats({-2, 0});
  const std::vector<Tensor> grads = {Tensor::of(a), Tensor::of(b), Tensor::of(c), Tensor::of(d)};
  EXPECT_EQ(optim::global_grad_norm(grads), std::sqrt(29.0));  // 1 + 4 + 4 + 16 + 4
}

TEST(GlobalGradNorm, OfNothingIsZero) {
  EXPECT_EQ(optim::global_grad_norm({}), 0.0);
  std::vector<float> empty;
  const std::vector<Tensor> grads = {Tensor::of(empty)};
  EXPECT_EQ(optim::global_grad_norm(grads), 0.0);
}

TEST(GlobalGradNorm, AccumulatesLongFloatVectorsAccurately) {
  // 1003 elements: not a multiple of any vector width, so the tail loop runs too.
  std::vector<float> values(1003);
  long double reference = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>(std::sin(static_cast<double>(i)) * 3.0 + 1e-3 * static_cast<double>(i));
    reference += static_cast<long double>(values[i]) * values[i];
  }
  const std::vector<Tensor> grads = {Tensor::of(values)};
  const double expected = std::sqrt(static_cast<double>(reference));
  EXPECT_NEAR(optim::global_grad_norm(grads), expected, 1e-14 * expected);
}

TEST(GlobalGradNorm, SumAcrossRanksIsCalledOnceWithTheLocalSumOfSquares) {
  std::vector<float> a = {3, 4};
  std::vector<Half> b = halves({12});
  const std::vector<Tensor> grads = {Tensor::of(a), Tensor::of(b)};
  int calls = 0;
  double seen = 0;
  const auto four_ranks = [&](double local) {
    ++calls;
    seen = local;
    return 4 * local;  // as if four ranks held the same shard
  };
  EXPECT_EQ(optim::global_grad_norm(grads, four_ranks), 26.0);  // sqrt(4 * 169)
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, 169.0);
}

TEST(ClipGradNorm, ScalesByMaxNormOverNormPlusEpsilon) {
  std::vector<float> a = {3, 4};
  std::vector<double> b = {0, 12};
  const std::vector<Tensor> grads = {Tensor::of(a), Tensor::of(b)};
  EXPECT_EQ(optim::clip_grad_norm(grads, 1.0), 13.0);  // returns the norm before clipping
  const double coef = 1.0 / (13.0 + 1e-6);
  // Each dtype multiplies by the coefficient in its own precision.
  EXPECT_EQ(a[0], 3.0f * static_cast<float>(coef));
  EXPECT_EQ(a[1], 4.0f * static_cast<float>(coef));
  EXPECT_EQ(b[0], 0.0);
  EXPECT_EQ(b[1], 12.0 * coef);
  EXPECT_NEAR(optim::global_grad_norm(grads), 1.0, 1e-6);
}

TEST(ClipGradNorm, MatchesTorch) {
  // torch 1.13.0: p.grad = torch.tensor(values, dtype); clip_grad_norm_([p], max_norm). torch
  // computes an f32 norm in f32, so f32 results may differ from ronde's by an ulp.
  std::vector<float> f32 = {3, 4, 12};
  EXPECT_EQ(optim::clip_grad_norm(std::vector<Tensor>{Tensor::of(f32)}, 1.0), 13.0);
  EXPECT_FLOAT_EQ(f32[0], 0.23076921701431274f);
  EXPECT_FLOAT_EQ(f32[1], 0.307692289352417f);
  EXPECT_FLOAT_EQ(f32[2], 0.923076868057251f);

  std::vector<float> f32b = {0.5f, -1.25f, 2.0f, 0.1f};
  EXPECT_NEAR(optim::clip_grad_norm(std::vector<Tensor>{Tensor::of(f32b)}, 0.7), 2.4129858016967773, 1e-6);
  const std::vector<float> torch_f32b = {0.14504845440387726f, -0.36262112855911255f, 0.580193817615509f,
                                         0.029009690508246422f};
  for (std::size_t i = 0; i < f32b.size(); ++i) EXPECT_FLOAT_EQ(f32b[i], torch_f32b[i]) << i;

  std::vector<double> f64 = {0.5, -1.25, 2.0, 0.1};
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm(std::vector<Tensor>{Tensor::of(f64)}, 0.7), 2.4129857024027306);
  const std::vector<double> torch_f64 = {0.14504845785162743, -0.3626211446290686, 0.5801938314065097,
                                         0.029009691570325485};
  for (std::size_t i = 0; i < f64.size(); ++i) EXPECT_DOUBLE_EQ(f64[i], torch_f64[i]) << i;

  // A norm equal to max_norm still gives a coefficient just below 1, and torch scales by it.
  std::vector<float> at_max = {3, 4};
  EXPECT_EQ(optim::clip_grad_norm(std::vector<Tensor>{Tensor::of(at_max)}, 5.0), 5.0);
  EXPECT_FLOAT_EQ(at_max[0], 2.9999992847442627f);
  EXPECT_FLOAT_EQ(at_max[1], 3.9999990463256836f);
}

TEST(ClipGradNorm, ScalesHalfPrecisionThroughFloatRoundingOnce) {
  std::vector<Half> h = halves({3, -4, 0.1f});
  std::vector<BFloat16> bf = bfloats({12, 0.3f});
  const std::vector<Half> h_before = h;
  const std::vector<BFloat16> bf_before = bf;
  const std::vector<Tensor> grads = {Tensor::of(h), Tensor::of(bf)};
  const double norm = optim::clip_grad_norm(grads, 2.0);
  const double expected_norm =
      std::sqrt(9.0 + 16.0 + std::pow(ronde::half_to_float(h_before[2]), 2) +
                144.0 + std::pow(ronde::bfloat16_to_float(bf_before[1]), 2));
  EXPECT_DOUBLE_EQ(norm, expected_norm);
  const auto coef = static_cast<float>(2.0 / (norm + 1e-6));
  for (std::size_t i = 0; i < h.size(); ++i) {
    const float widened = ronde::half_to_float(h_before[i]);
    EXPECT_EQ(h[i].bits, ronde::float_to_half(widened * coef).bits) << i;
    EXPECT_NEAR(ronde::half_to_float(h[i]), widened * coef, std::abs(widened * coef) * 1e-3) << i;
  }
  for (std::size_t i = 0; i < bf.size(); ++i) {
    const float widened = ronde::bfloat16_to_float(bf_before[i]);
    EXPECT_EQ(bf[i].bits, ronde::float_to_bfloat16(widened * coef).bits) << i;
    EXPECT_NEAR(ronde::bfloat16_to_float(bf[i]), widened * coef, std::abs(widened * coef) * 8e-3) << i;
  }
}

TEST(ClipGradNorm, LeavesGradientsAloneBelowMaxNorm) {
  std::vector<float> a = {3, 4};
  std::vector<Half> b = halves({0.5f});
  const std::vector<Tensor> grads = {Tensor::of(a), Tensor::of(b)};
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm(grads, 10.0), std::sqrt(25.25));
  EXPECT_EQ(a, (std::vector<float>{3, 4}));
  EXPECT_EQ(b[0].bits, ronde::float_to_half(0.5f).bits);
}

TEST(ClipGradNorm, NonFiniteNormIsReturnedAndNothingIsScaled) {
  std::vector<float> a = {3, INFINITY};
  std::vector<double> b = {100};
  const std::vector<Tensor> grads = {Tensor::of(a), Tensor::of(b)};
  EXPECT_EQ(optim::clip_grad_norm(grads, 1.0), INFINITY);
  EXPECT_EQ(a[0], 3.0f);
  EXPECT_EQ(b[0], 100.0);

  std::vector<float> c = {NAN, 5};
  std::vector<float> d = {7};
  const std::vector<Tensor> nan_grads = {Tensor::of(c), Tensor::of(d)};
  EXPECT_TRUE(std::isnan(optim::clip_grad_norm(nan_grads, 1.0)));
  EXPECT_EQ(c[1], 5.0f);
  EXPECT_EQ(d[0], 7.0f);
}

TEST(ClipGradNorm, UsesTheNormSummedAcrossRanks) {
  std::vector<float> a = {3, 4};
  const std::vector<Tensor> grads = {Tensor::of(a)};
  int calls = 0;
  const auto sum_across_ranks = [&](double local) {
    ++calls;
    EXPECT_EQ(local, 25.0);
    return local + 75.0;  // the other ranks' shards hold 75
  };
  EXPECT_EQ(optim::clip_grad_norm(grads, 1.0, sum_across_ranks), 10.0);
  EXPECT_EQ(calls, 1);
  const auto coef = static_cast<float>(1.0 / (10.0 + 1e-6));
  EXPECT_EQ(a[0], 3.0f * coef);
  EXPECT_EQ(a[1], 4.0f * coef);
}

TEST(ClipGradNorm, RejectsIntegerAndCudaTensorsBeforeReducing) {
  std::vector<float> a = {3, 4};
  std::vector<std::int32_t> ints = {1, 2};
  int calls = 0;
  const auto count_calls = [&](double local) {
    ++calls;
    return local;
  };
  const std::vector<Tensor> with_ints = {Tensor::of(a), Tensor::of(ints)};
  const std::string int_message = invalid_argument_from([&] { optim::clip_grad_norm(with_ints, 1.0, count_calls); });
  EXPECT_THAT(int_message, HasSubstr("clip_grad_norm: grads[1] (i32[2] on cpu)"));
  EXPECT_THAT(int_message, HasSubstr("integer dtype"));
  EXPECT_THAT(invalid_argument_from([&] { optim::global_grad_norm(with_ints, count_calls); }),
              HasSubstr("global_grad_norm: grads[1] (i32[2] on cpu)"));

  // The pointer is host memory labelled as CUDA; it must never be read.
  const std::vector<Tensor> with_cuda = {Tensor(a.data(), ronde::DType::F32, {2}, ronde::Device::cuda(1))};
  EXPECT_THAT(invalid_argument_from([&] { optim::clip_grad_norm(with_cuda, 1.0, count_calls); }),
              HasSubstr("grads[0] (f32[2] on cuda:1) is not in host memory"));
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(a, (std::vector<float>{3, 4}));
}

TEST(ClipGradNorm, RejectsAMaxNormThatIsNotFiniteAndPositive) {
  std::vector<float> a = {3, 4};
  const std::vector<Tensor> grads = {Tensor::of(a)};
  EXPECT_THAT(invalid_argument_from([&] { optim::clip_grad_norm(grads, 0.0); }),
              HasSubstr("clip_grad_norm: max_norm=0 must be finite and positive"));
  EXPECT_THAT(invalid_argument_from([&] { optim::clip_grad_norm(grads, -1.0); }), HasSubstr("max_norm=-1"));
  EXPECT_THAT(invalid_argument_from([&] { optim::clip_grad_norm(grads, NAN); }), HasSubstr("max_norm=nan"));
  EXPECT_THAT(invalid_argument_from([&] { optim::clip_grad_norm(grads, INFINITY); }), HasSubstr("max_norm=inf"));
  EXPECT_EQ(a, (std::vector<float>{3, 4}));
}

}  // namespace
