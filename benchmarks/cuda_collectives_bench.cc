// cuda_collectives_bench (CUDA builds; run by scripts/gpu-check.sh on a GPU machine): the device
// side of the collectives against the device's own copy bandwidth, in one run:
//   - allreduce of float32 on CUDA tensors through NCCL at world size 1, vs cudaMemcpy
//     device-to-device of the same bytes (the floor for anything that reads and writes them);
//   - the staged path's copies: device -> pinned host -> device;
//   - the staging cast kernels (f16 -> f32 and back), vs the device-to-device copy.
// GB/s counts bytes read plus bytes written, as for memcpy.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/bench_csv.h"
#include "cuda/device_kernels.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/cuda_info.h"
#include "ronde/core/error.h"

namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw ronde::Error(ronde::ErrorCode::Internal, std::string(what) + ": " + cudaGetErrorString(status));
}

// Median seconds of `body` (each run followed by a device synchronise).
template <class Body>
double median_seconds(int repetitions, Body&& body) {
  std::vector<double> times;
  for (int i = 0; i < repetitions; ++i) {
    check(cudaDeviceSynchronize(), "synchronize");
    const auto start = std::chrono::steady_clock::now();
    body();
    check(cudaDeviceSynchronize(), "synchronize");
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

struct Row {
  std::string name;
  std::size_t bytes;
  double seconds;
  double gbps;
};

}  // namespace

int main(int argc, char** argv) {
  std::string csv_path;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--csv" && i + 1 < argc) csv_path = argv[++i];
    else if (arg == "--quick") quick = true;
    else {
      std::printf("usage: cuda_collectives_bench [--quick] [--csv PATH]\n");
      return arg == "--help" ? 0 : 2;
    }
  }
  if (ronde::cuda_device_count() == 0) {
    std::printf("cuda_collectives_bench: no CUDA device\n");
    return 77;
  }
  try {
    ronde::Context context = ronde::init();
    ronde::Collectives collectives(context);
    std::vector<Row> rows;
    const std::vector<std::size_t> sizes = quick ? std::vector<std::size_t>{1u << 24, 1u << 28}
                                                 : std::vector<std::size_t>{1u << 20, 1u << 24, 1u << 28, 1u << 30};
    for (std::size_t bytes : sizes) {
      const std::size_t count = bytes / sizeof(float);
      void *a = nullptr, *b = nullptr, *host = nullptr;
      check(cudaMalloc(&a, bytes), "cudaMalloc");
      check(cudaMalloc(&b, bytes), "cudaMalloc");
      check(cudaMallocHost(&host, bytes), "cudaMallocHost");
      check(cudaMemset(a, 0, bytes), "cudaMemset");
      const int repetitions = bytes >= (1u << 28) ? 5 : 20;
      auto add = [&](const std::string& name, double moved, double seconds) { rows.push_back({name, bytes, seconds, moved / seconds / 1e9}); };

      add("d2d_memcpy", 2.0 * bytes, median_seconds(repetitions, [&] { check(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice), "copy"); }));
      const ronde::Tensor tensor(a, ronde::DType::F32, {static_cast<std::int64_t>(count)}, ronde::Device::cuda(0));
      add("nccl_allreduce_n1", 2.0 * bytes, median_seconds(repetitions, [&] { collectives.allreduce(tensor, ronde::ReduceOp::Sum); }));
      add("stage_d2h_pinned", 2.0 * bytes, median_seconds(repetitions, [&] { check(cudaMemcpy(host, a, bytes, cudaMemcpyDeviceToHost), "d2h"); }));
      add("stage_h2d_pinned", 2.0 * bytes, median_seconds(repetitions, [&] { check(cudaMemcpy(a, host, bytes, cudaMemcpyHostToDevice), "h2d"); }));
      // f16 -> f32 reads 2 bytes and writes 4 per element; back, 4 and 2.
      const std::size_t halves = bytes / 4;  // f32 output fills `b`
      add("cast_f16_to_f32", 6.0 * static_cast<double>(halves),
          median_seconds(repetitions, [&] { ronde::cuda::widen_to_f32(a, static_cast<float*>(b), halves, false, nullptr); }));
      add("cast_f32_to_f16", 6.0 * static_cast<double>(halves),
          median_seconds(repetitions, [&] { ronde::cuda::narrow_from_f32(static_cast<float*>(b), a, halves, false, nullptr); }));
      cudaFree(a);
      cudaFree(b);
      cudaFreeHost(host);
    }
    std::printf("\nGPU side of the collectives (GB/s = bytes read + written per second)\n\n%22s %12s %12s %10s %8s\n",
                "operation", "bytes", "time (ms)", "GB/s", "vs d2d");
    double reference = 0;
    for (const Row& row : rows) {
      if (row.name == "d2d_memcpy") reference = row.gbps;
      std::printf("%22s %12zu %12.3f %10.1f %7.0f%%\n", row.name.c_str(), row.bytes, row.seconds * 1e3, row.gbps,
                  100.0 * row.gbps / reference);
    }
    if (!csv_path.empty()) {
      auto csv = ronde::bench::CsvAppender::open(csv_path, "cuda_collectives_bench");
      if (!csv) return 1;
      for (const Row& row : rows) {
        csv->row("cuda_collectives", row.name, row.name == "d2d_memcpy" ? "cuda_memcpy" : "ronde", 1, row.bytes, "seconds_median", row.seconds);
        csv->row("cuda_collectives", row.name, row.name == "d2d_memcpy" ? "cuda_memcpy" : "ronde", 1, row.bytes, "GBps", row.gbps);
      }
      if (!csv->close()) return 1;
    }
  } catch (const ronde::Error& error) {
    std::fprintf(stderr, "cuda_collectives_bench: %s\n", error.what());
    return 1;
  }
  return 0;
}
