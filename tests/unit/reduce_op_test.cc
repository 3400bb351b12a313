// The element-wise kernels against plain loops, for every dtype and op, including aliasing
// (out == a) and lengths that are not multiples of any vector width.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "ronde/core/error.h"
#include "ronde/core/reduce_op.h"

namespace {

using ronde::DType;
using ronde::ReduceOp;

template <class T>
std::vector<T> values(std::size_t count, unsigned seed) {
  std::mt19937 generator(seed);
  std::vector<T> out(count);
  for (auto& v : out) v = static_cast<T>(static_cast<int>(generator() % 200) - 100) / static_cast<T>(std::is_floating_point_v<T> ? 8 : 1);
  return out;
}

template <class T>
T reference(ReduceOp op, T a, T b) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Average: return static_cast<T>(a + b);
    case ReduceOp::Min: return std::min(a, b);
    case ReduceOp::Max: return std::max(a, b);
    case ReduceOp::Product: return static_cast<T>(a * b);
  }
  return T{};
}

template <class T>
void check_all_ops() {
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Average, ReduceOp::Min, ReduceOp::Max, ReduceOp::Product}) {
    for (std::size_t count : {0, 1, 7, 8, 31, 1000, 4097}) {
      auto a = values<T>(count, 1), b = values<T>(count, 2);
      std::vector<T> out(count), expected(count);
      for (std::size_t i = 0; i < count; ++i) expected[i] = reference(op, a[i], b[i]);
      ronde::reduce_elements(op, ronde::dtype_of<T>, a.data(), b.data(), out.data(), count);
      ASSERT_EQ(out, expected) << ronde::to_string(ronde::dtype_of<T>) << " " << ronde::to_string(op) << " " << count;
      ronde::reduce_elements(op, ronde::dtype_of<T>, a.data(), b.data(), a.data(), count);  // out aliases a
      ASSERT_EQ(a, expected) << "aliased";
    }
  }
}

TEST(ReduceElements, MatchesPlainLoops) {
  check_all_ops<float>();
  check_all_ops<double>();
  check_all_ops<std::int32_t>();
  check_all_ops<std::int64_t>();
}

TEST(ReduceElements, IntegerSumAndProductWrap) {
  std::vector<std::uint8_t> a{250, 16}, b{10, 16}, out(2);
  ronde::reduce_elements(ReduceOp::Sum, DType::U8, a.data(), b.data(), out.data(), 2);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{4, 32}));
  ronde::reduce_elements(ReduceOp::Product, DType::U8, a.data(), b.data(), out.data(), 2);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{static_cast<std::uint8_t>(2500 % 256), 0}));
  std::vector<std::int32_t> big{INT32_MAX}, one{1}, wrapped(1);
  ronde::reduce_elements(ReduceOp::Sum, DType::I32, big.data(), one.data(), wrapped.data(), 1);
  EXPECT_EQ(wrapped[0], INT32_MIN);
}

TEST(ReduceElements, HalfPrecisionCombinesInFloatAndRoundsOnce) {
  // 2048 + 1 is not representable in f16 (spacing 2 there): the exact sum 2049 rounds to even 2048,
  // and 2048 + 3 = 2051 rounds to 2052.
  std::vector<ronde::Half> a{ronde::float_to_half(2048), ronde::float_to_half(2048)};
  std::vector<ronde::Half> b{ronde::float_to_half(1), ronde::float_to_half(3)}, out(2);
  ronde::reduce_elements(ReduceOp::Sum, DType::F16, a.data(), b.data(), out.data(), 2);
  EXPECT_EQ(ronde::half_to_float(out[0]), 2048.0f);
  EXPECT_EQ(ronde::half_to_float(out[1]), 2052.0f);
  std::vector<ronde::BFloat16> c{ronde::float_to_bfloat16(1.5f)}, d{ronde::float_to_bfloat16(-2.0f)}, e(1);
  ronde::reduce_elements(ReduceOp::Max, DType::BF16, c.data(), d.data(), e.data(), 1);
  EXPECT_EQ(ronde::bfloat16_to_float(e[0]), 1.5f);
}

TEST(DivideElements, AverageSemantics) {
  std::vector<float> f{3.0f, -1.0f};
  ronde::divide_elements(DType::F32, f.data(), 2, 2);
  EXPECT_EQ(f, (std::vector<float>{1.5f, -0.5f}));
  std::vector<std::int64_t> i{7, -7};
  ronde::divide_elements(DType::I64, i.data(), 2, 2);
  EXPECT_EQ(i, (std::vector<std::int64_t>{3, -3}));  // truncation toward zero
  EXPECT_THROW(ronde::divide_elements(DType::F32, f.data(), 2, 0), ronde::Error);
}

TEST(ReduceOpNames, ParseAndPrint) {
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Average, ReduceOp::Min, ReduceOp::Max, ReduceOp::Product}) {
    EXPECT_EQ(ronde::parse_reduce_op(ronde::to_string(op)), op);
  }
  EXPECT_THROW(ronde::parse_reduce_op("mean"), ronde::Error);
}

}  // namespace
