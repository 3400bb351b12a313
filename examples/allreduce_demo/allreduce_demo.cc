// allreduce_demo: every rank allreduces real tensors and checks the results.
//
//   mpirun -np 4 build/examples/allreduce_demo/allreduce_demo
//
// Each rank fills its tensors from a generator seeded with its rank, so every rank can also
// compute what the other ranks hold and therefore the exact expected result. Rank 0 prints one
// line per check and a summary; the exit code is non-zero if any rank saw a wrong value.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/error.h"

namespace {

// A model-sized gradient: 8 M float32 values (32 MiB) per rank, a few tensors of real shapes.
constexpr std::size_t kGradientValues = std::size_t{1} << 23;

std::vector<float> gradient_of(int rank, std::size_t count) {
  std::mt19937 generator(1234u + static_cast<unsigned>(rank));
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> gradient(count);
  for (float& g : gradient) g = value(generator);
  return gradient;
}

struct Checker {
  const ronde::Context& context;
  int failures = 0;

  void report(const std::string& what, bool ok, double seconds) {
    if (!ok) ++failures;
    if (context.rank() == 0) {
      std::printf("  %-52s %s  (%.1f ms)\n", what.c_str(), ok ? "ok" : "WRONG", seconds * 1e3);
    }
  }
};

template <class F>
double timed(F&& body) {
  auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  try {
    ronde::Context context = ronde::init();
    ronde::Collectives collectives(context);
    const int rank = context.rank(), size = context.size();
    Checker check{context};
    if (rank == 0) std::printf("allreduce_demo on %d ranks (%s)\n", size, context.topology().describe().c_str());

    // 1. Average of float32 gradients (in place), against the mean computed from every rank's data.
    std::vector<float> gradient = gradient_of(rank, kGradientValues);
    double seconds = timed([&] { collectives.allreduce(ronde::Tensor::of(gradient), ronde::ReduceOp::Average); });
    std::vector<double> expected(kGradientValues, 0.0);
    for (int r = 0; r < size; ++r) {
      std::vector<float> other = gradient_of(r, kGradientValues);
      for (std::size_t i = 0; i < kGradientValues; ++i) expected[i] += other[i];
    }
    double worst = 0;
    for (std::size_t i = 0; i < kGradientValues; ++i) worst = std::max(worst, std::abs(gradient[i] - expected[i] / size));
    check.report("average of 8M float32 gradients (32 MiB), max err " + std::to_string(worst), worst < 1e-5, seconds);

    // 2. Exact integer sums: per-rank sample counts and a label histogram, out of place.
    std::vector<std::int64_t> histogram(10), total(10);
    for (int label = 0; label < 10; ++label) histogram[label] = (rank + 1) * 1000 + label;
    seconds = timed([&] { collectives.allreduce(ronde::Tensor::of(histogram), ronde::Tensor::of(total), ronde::ReduceOp::Sum); });
    bool ok = true;
    for (int label = 0; label < 10; ++label) ok &= total[label] == 1000LL * size * (size + 1) / 2 + std::int64_t{size} * label;
    check.report("sum of int64 label histograms (exact)", ok, seconds);

    // 3. Max of a per-rank loss: every rank learns the worst one.
    std::vector<double> loss{0.5 + rank};
    seconds = timed([&] { collectives.allreduce(ronde::Tensor::of(loss), ronde::ReduceOp::Max); });
    check.report("max of per-rank float64 losses", loss[0] == 0.5 + (size - 1), seconds);

    // 4. bf16 sum: small integers are exact in bf16, so the result is exact.
    std::vector<ronde::BFloat16> weights(4099);
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = ronde::float_to_bfloat16(static_cast<float>((i + rank) % 7));
    seconds = timed([&] { collectives.allreduce(ronde::Tensor::of(weights), ronde::ReduceOp::Sum); });
    ok = true;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      float want = 0;
      for (int r = 0; r < size; ++r) want += static_cast<float>((i + r) % 7);
      ok &= ronde::bfloat16_to_float(weights[i]) == want;
    }
    check.report("sum of 4099 bf16 values (accumulated in f32)", ok, seconds);

    // 5. Broadcast rank 0's parameters, as a job does before its first step.
    std::vector<float> parameters = gradient_of(100 + rank, 1 << 20);
    seconds = timed([&] { collectives.broadcast(ronde::Tensor::of(parameters), 0); });
    check.report("broadcast of 1M float32 parameters from rank 0", parameters == gradient_of(100, 1 << 20), seconds);

    seconds = timed([&] { collectives.barrier(); });
    check.report("barrier", true, seconds);

    // Every rank's verdict counts: sum the failures.
    std::vector<std::int32_t> failures{check.failures};
    collectives.allreduce(ronde::Tensor::of(failures), ronde::ReduceOp::Sum);
    if (rank == 0) {
      std::printf(failures[0] == 0 ? "all checks passed on every rank\n" : "%d checks FAILED across ranks\n", failures[0]);
    }
    return failures[0] == 0 ? 0 : 1;
  } catch (const ronde::Error& error) {
    std::fprintf(stderr, "allreduce_demo: %s\n", error.what());
    return 1;
  }
}
