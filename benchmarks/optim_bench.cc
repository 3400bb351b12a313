// optim_bench: optimizer step throughput on one core, as bytes moved per second, next to the
// memcpy bandwidth of the same machine measured in the same run.
//
//   build/benchmarks/optim_bench [--quick] [--device cuda] [--csv bench-results/optim.csv]
//
// With --device cuda (CUDA builds) the parameters live on GPU 0 and the reference is a
// device-to-device cudaMemcpy of the same size; each timed step ends with a device synchronise.
//
// Bytes moved per parameter are what one step must read and write (Adam reads p, g, m, v and
// writes p, m, v: 28 bytes per float32 parameter). memcpy moves 2 bytes per byte copied (one read,
// one write), over a buffer the size of the parameter tensor. Both are timed as the median of
// several repetitions; the ratio column is optimizer GB/s over memcpy GB/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(RONDE_BENCH_WITH_CUDA)
#include <cuda_runtime_api.h>
#endif

#include "common/bench_csv.h"
#include "ronde/core/error.h"
#include "ronde/optim/optimizer.h"

namespace {

struct OptimizerCase {
  std::string label;  // CSV case and table row
  std::string name;   // make_optimizer name
  ronde::optim::OptionMap options;
  int bytes_per_parameter;  // reads + writes of one float32 step
};

const std::vector<OptimizerCase> kCases = {
    {"sgd", "sgd", {{"lr", "1e-4"}}, 12},                                  // r p g, w p
    {"sgd_momentum", "sgd", {{"lr", "1e-4"}, {"momentum", "0.9"}}, 20},   // r p g b, w p b
    {"adam", "adam", {{"lr", "1e-4"}}, 28},                                // r p g m v, w p m v
    {"adamw", "adamw", {{"lr", "1e-4"}}, 28},
    {"adagrad", "adagrad", {{"lr", "1e-4"}}, 20},                          // r p g s, w p s
    {"rmsprop", "rmsprop", {{"lr", "1e-4"}}, 20},                          // r p g s, w p s
    {"lamb", "lamb", {{"lr", "1e-4"}}, 40},  // pass 1: r p g m v, w m v; pass 2: r p m v, w p
};

struct Options {
  std::vector<std::size_t> parameters = {std::size_t{1} << 20, std::size_t{1} << 22, std::size_t{1} << 24,
                                         std::size_t{1} << 26, std::size_t{1} << 27};
  int repetitions = 5;
  std::string csv;
  bool cuda = false;
};

// Parameter and gradient memory on the benchmarked device, filled from host values.
class Buffers {
 public:
  Buffers(bool cuda, const std::vector<float>& value, const std::vector<float>& grad) : cuda_(cuda) {
    const std::size_t bytes = value.size() * sizeof(float);
    if (!cuda_) {
      host_ = {value, grad, std::vector<float>(value.size())};
      value_ = host_[0].data(), grad_ = host_[1].data(), scratch_ = host_[2].data();
      return;
    }
#if defined(RONDE_BENCH_WITH_CUDA)
    for (float** target : {&value_, &grad_, &scratch_}) {
      if (cudaMalloc(reinterpret_cast<void**>(target), bytes) != cudaSuccess) throw std::runtime_error("cudaMalloc failed");
    }
    cudaMemcpy(value_, value.data(), bytes, cudaMemcpyHostToDevice);
    cudaMemcpy(grad_, grad.data(), bytes, cudaMemcpyHostToDevice);
#else
    (void)bytes;
    throw std::runtime_error("--device cuda: optim_bench was built without CUDA");
#endif
  }
  ~Buffers() {
#if defined(RONDE_BENCH_WITH_CUDA)
    if (cuda_) {
      cudaFree(value_);
      cudaFree(grad_);
      cudaFree(scratch_);
    }
#endif
  }
  ronde::Device device() const { return cuda_ ? ronde::Device::cuda(0) : ronde::Device::cpu(); }
  float* value() const { return value_; }
  float* grad() const { return grad_; }
  // Copies the parameter into scratch: the memory-bandwidth reference.
  void copy(std::size_t count) const {
#if defined(RONDE_BENCH_WITH_CUDA)
    if (cuda_) {
      cudaMemcpy(scratch_, value_, count * sizeof(float), cudaMemcpyDeviceToDevice);
      return;
    }
#endif
    std::memcpy(scratch_, value_, count * sizeof(float));
  }
  void synchronize() const {
#if defined(RONDE_BENCH_WITH_CUDA)
    if (cuda_) cudaDeviceSynchronize();
#endif
  }

 private:
  bool cuda_;
  std::vector<std::vector<float>> host_;
  float* value_ = nullptr;
  float* grad_ = nullptr;
  float* scratch_ = nullptr;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <class Body>
double median_seconds(int repetitions, Body&& body) {
  std::vector<double> times;
  for (int i = 0; i < repetitions; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    times.push_back(seconds_since(start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

int usage(int code) {
  std::printf(
      "usage: optim_bench [--quick] [--device cpu|cuda] [--repetitions N] [--csv PATH]\n\n"
      "Step throughput of every optimizer for 1M, 4M, 16M, 64M and 128M float32 parameters on one\n"
      "core, in GB/s of bytes moved, next to memcpy's GB/s on a buffer of the parameter's size.\n"
      "--quick runs 1M and 64M parameters with 3 repetitions. --csv appends rows\n"
      "(bench,case,impl,ranks,bytes,metric,value).\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return usage(0);
    if (arg == "--quick") {
      options.parameters = {std::size_t{1} << 20, std::size_t{1} << 26};
      options.repetitions = 3;
    } else if (arg == "--repetitions" && i + 1 < argc) {
      options.repetitions = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--device" && i + 1 < argc) {
      const std::string device = argv[++i];
      if (device != "cpu" && device != "cuda") return usage(2);
      options.cuda = device == "cuda";
    } else if (arg == "--csv" && i + 1 < argc) {
      options.csv = argv[++i];
    } else {
      std::fprintf(stderr, "optim_bench: unknown argument '%s'\n", arg.c_str());
      return usage(2);
    }
  }
  if (!options.csv.empty() && !ronde::bench::CsvAppender::can_append(options.csv, "optim_bench")) return 1;

  struct Row {
    std::string label;
    std::size_t parameters;
    double seconds, gbps, memcpy_gbps;
  };
  std::vector<Row> rows;
  const std::string reference = options.cuda ? "cuda_memcpy_d2d" : "memcpy";
  std::mt19937 generator(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  try {
    for (std::size_t count : options.parameters) {
      std::vector<float> value(count), grad(count);
      for (std::size_t i = 0; i < count; ++i) value[i] = normal(generator), grad[i] = 0.01f * normal(generator);
      const Buffers buffers(options.cuda, value, grad);
      const double memcpy_seconds = median_seconds(options.repetitions + 2, [&] {
        buffers.copy(count);
        buffers.synchronize();
      });
      const double memcpy_gbps = 2.0 * static_cast<double>(count * sizeof(float)) / memcpy_seconds / 1e9;
      rows.push_back({reference, count, memcpy_seconds, memcpy_gbps, memcpy_gbps});
      const std::int64_t n = static_cast<std::int64_t>(count);
      for (const OptimizerCase& c : kCases) {
        std::vector<ronde::optim::Parameter> parameters = {
            {"w", ronde::Tensor(buffers.value(), ronde::DType::F32, {n}, buffers.device()),
             ronde::Tensor(buffers.grad(), ronde::DType::F32, {n}, buffers.device())}};
        auto optimizer = ronde::optim::make_optimizer(c.name, c.options, parameters);
        optimizer->step();  // allocates and first-touches the state
        buffers.synchronize();
        const double seconds = median_seconds(options.repetitions, [&] {
          optimizer->step();
          buffers.synchronize();
        });
        const double gbps = static_cast<double>(c.bytes_per_parameter) * static_cast<double>(count) / seconds / 1e9;
        rows.push_back({c.label, count, seconds, gbps, memcpy_gbps});
        std::fprintf(stderr, "[optim] %zuM parameters, %s: %.2f ms\n", count >> 20, c.label.c_str(), seconds * 1e3);
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "optim_bench: %s\n", error.what());
    return 1;
  }

  std::printf("\noptimizer step, float32, %s; GB/s = bytes read + written per second\n\n",
              options.cuda ? "GPU 0" : "one core");
  std::printf("%12s %16s %12s %10s %12s %9s\n", "parameters", "optimizer", "time (ms)", "GB/s", "memcpy GB/s", "ratio");
  for (const Row& row : rows) {
    std::printf("%11zuM %16s %12.2f %10.2f %12.2f %8.0f%%\n", row.parameters >> 20, row.label.c_str(),
                row.seconds * 1e3, row.gbps, row.memcpy_gbps, 100.0 * row.gbps / row.memcpy_gbps);
  }
  if (!options.csv.empty()) {
    auto csv = ronde::bench::CsvAppender::open(options.csv, "optim_bench");
    if (!csv) return 1;
    for (const Row& row : rows) {
      const std::string impl = row.label == reference ? reference : (options.cuda ? "ronde_cuda" : "ronde");
      csv->row("optim", row.label, impl, 1, row.parameters * sizeof(float), "seconds_median", row.seconds);
      csv->row("optim", row.label, impl, 1, row.parameters * sizeof(float), "GBps", row.gbps);
      csv->row("optim", row.label, impl, 1, row.parameters * sizeof(float), "fraction_of_memcpy", row.gbps / row.memcpy_gbps);
    }
    if (!csv->close()) return 1;
  }
  return 0;
}
