// engine_bench: what the Horovod-style engine costs on a real model's gradients.
//
//   mpirun -np 2 build/benchmarks/engine_bench [--quick] [--csv bench-results/engine.csv]
//
// (scripts/bench.sh engine runs it at 2 then 4 ranks.) The gradients are ResNet-50's: 161 float32
// tensors, 25,557,032 values (102.2 MB), laid out in one buffer in parameter order. Measured:
//
//  step       one step's gradient exchange (float32 Sum, in place), three ways, taking turns in
//             five rounds so that machine noise hits all three alike (the engine exists only
//             during its own turns: an idle engine's thread would slow the other two):
//               ronde_engine        the 161 tensors enqueued on the engine in backward order
//                                   (last parameter first), then every handle waited for; the
//                                   engine negotiates and fuses them (default EngineOptions, or
//                                   RONDE_* variables)
//               mpi_per_tensor      one MPI_Allreduce per tensor, in backward order
//               ronde_single_buffer one ronde::Collectives allreduce of the whole buffer: the floor
//                                   for any way of moving these bytes with ronde's ring
//  latency    one 8-byte allreduce through the engine, enqueue to completion, with the response
//             cache (cache_capacity 1024) and without it (0), at the configured cycle time and at
//             100 us, next to MPI_Allreduce of 8 bytes
//  fusion     the engine's step time for several fusion thresholds (and the collectives it ran
//             per step), the thresholds taking turns in three rounds
//
// Every time is the median over iterations of the slowest rank's time (MPI_Barrier before each).
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/bench_args.h"
#include "common/bench_csv.h"
#include "common/bench_format.h"
#include "common/bench_mpi.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/allreduce/engine.h"
#include "ronde/core/context.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/tensor.h"

namespace {

using ronde::bench::human_bytes;
using ronde::bench::human_seconds;
using ronde::bench::MiB;
using ronde::bench::Result;

// ---- the model ------------------------------------------------------------------------------------

struct Gradient {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;  // in floats, into the model's buffer
  std::size_t count = 0;
};

// ResNet-50 (He et al. 2016; torchvision's resnet50) parameters in definition order:
//   conv1.weight [64,3,7,7], bn1.weight [64], bn1.bias [64]
//   layer1..layer4: 3, 4, 6, 3 bottleneck blocks of width 64, 128, 256, 512; block b of a layer
//     conv1.weight [w,in,1,1]  bn1.{weight,bias} [w]
//     conv2.weight [w,w,3,3]   bn2.{weight,bias} [w]
//     conv3.weight [4w,w,1,1]  bn3.{weight,bias} [4w]
//     block 0 also downsample.0.weight [4w,in,1,1], downsample.1.{weight,bias} [4w]
//     (in = 64 for layer1 block 0, else the previous block's 4w)
//   fc.weight [1000,2048], fc.bias [1000]
// 161 tensors, 25,557,032 values (checked at start-up).
std::vector<Gradient> resnet50_gradients() {
  std::vector<Gradient> grads;
  std::size_t offset = 0;
  auto add = [&](std::string name, std::vector<std::int64_t> shape) {
    std::size_t count = 1;
    for (auto d : shape) count *= static_cast<std::size_t>(d);
    grads.push_back({std::move(name), std::move(shape), offset, count});
    offset += count;
  };
  auto add_bn = [&](const std::string& prefix, std::int64_t channels) {
    add(prefix + ".weight", {channels});
    add(prefix + ".bias", {channels});
  };
  add("conv1.weight", {64, 3, 7, 7});
  add_bn("bn1", 64);
  const int blocks[] = {3, 4, 6, 3};
  std::int64_t in = 64;
  for (int layer = 0; layer < 4; ++layer) {
    const std::int64_t width = std::int64_t{64} << layer;
    for (int b = 0; b < blocks[layer]; ++b) {
      const std::string p = "layer" + std::to_string(layer + 1) + "." + std::to_string(b) + ".";
      add(p + "conv1.weight", {width, in, 1, 1});
      add_bn(p + "bn1", width);
      add(p + "conv2.weight", {width, width, 3, 3});
      add_bn(p + "bn2", width);
      add(p + "conv3.weight", {4 * width, width, 1, 1});
      add_bn(p + "bn3", 4 * width);
      if (b == 0) {
        add(p + "downsample.0.weight", {4 * width, in, 1, 1});
        add_bn(p + "downsample.1", 4 * width);
      }
      in = 4 * width;
    }
  }
  add("fc.weight", {1000, 2048});
  add("fc.bias", {1000});
  return grads;
}

constexpr std::size_t kResNet50Tensors = 161;
constexpr std::size_t kResNet50Values = 25'557'032;

// ---- command line -----------------------------------------------------------------------------------

struct Options {
  int iters = 20;            // timed steps per implementation
  int warmup = 2;            // untimed steps first (the first is checked)
  int latency_iters = 300;   // timed 8-byte allreduces per variant
  int sweep_iters = 10;      // timed steps per fusion threshold
  std::vector<std::size_t> thresholds = {1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB, 128 * MiB};
  std::string csv_path;
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
      "usage: mpirun -np N engine_bench [options]\n"
      "\n"
      "ResNet-50's 161 float32 gradients (25.6 M values) allreduced (Sum, in place) per step:\n"
      "through the engine (enqueue all in backward order, wait all), one MPI_Allreduce per tensor,\n"
      "and one ronde allreduce of the whole buffer (the floor), taking turns in 5 rounds; then the\n"
      "engine's 8-byte latency with and without its response cache, and a fusion threshold sweep.\n"
      "\n"
      "options:\n"
      "  --iters N          timed steps per implementation (default 20)\n"
      "  --warmup N         untimed steps first, in each of the 5 rounds (default 2)\n"
      "  --latency-iters N  timed 8-byte allreduces per variant (default 300)\n"
      "  --sweep-iters N    timed steps per fusion threshold (default 10)\n"
      "  --thresholds LIST  fusion thresholds to sweep (default 1M,4M,16M,64M,128M; 0 = no fusion)\n"
      "  --quick            5 steps, 1 warm-up, 50 latency iterations, 3 steps per threshold 4M,64M\n"
      "  --csv PATH         append rows to PATH (created with its header if absent)\n"
      "  --help             this text\n");
}

std::optional<int> parse_args(int argc, char** argv, Options& opt, bool verbose) {
  auto fail = [&](const std::string& message) -> std::optional<int> {
    if (verbose) std::fprintf(stderr, "engine_bench: %s (--help for usage)\n", message.c_str());
    return 2;
  };
  bool quick = false, iters_given = false, warmup_given = false, latency_given = false, sweep_given = false,
       thresholds_given = false;
  ronde::bench::ArgCursor args(argc, argv);
  while (args.next()) {
    const auto name = args.name();
    auto count = [&](int& field, bool& given, int min_value) -> std::optional<std::string> {
      const auto value = args.value();
      const auto parsed = value ? ronde::bench::parse_int(*value, min_value) : std::nullopt;
      if (!parsed) return std::string(name) + " needs a whole number of at least " + std::to_string(min_value);
      field = *parsed;
      given = true;
      return std::nullopt;
    };
    std::optional<std::string> error;
    if (name == "--help" || name == "-h") {
      if (verbose) print_usage(stdout);
      return 0;
    } else if (name == "--quick") {
      quick = true;
    } else if (name == "--iters") {
      error = count(opt.iters, iters_given, 1);
    } else if (name == "--warmup") {
      error = count(opt.warmup, warmup_given, 1);
    } else if (name == "--latency-iters") {
      error = count(opt.latency_iters, latency_given, 1);
    } else if (name == "--sweep-iters") {
      error = count(opt.sweep_iters, sweep_given, 1);
    } else if (name == "--thresholds") {
      const auto value = args.value();
      opt.thresholds.clear();
      for (const auto& item : ronde::bench::split_list(value.value_or(""))) {
        const auto bytes = ronde::bench::parse_size(item);
        if (!bytes) return fail("bad size '" + item + "' in --thresholds");
        opt.thresholds.push_back(*bytes);
      }
      if (opt.thresholds.empty()) return fail("--thresholds needs at least one size");
      thresholds_given = true;
    } else if (name == "--csv") {
      const auto value = args.value();
      if (!value || value->empty()) return fail("--csv needs a path");
      opt.csv_path = std::string(*value);
    } else {
      return fail("unknown option '" + std::string(args.arg()) + "'");
    }
    if (error) return fail(*error);
  }
  if (quick) {
    if (!iters_given) opt.iters = 5;
    if (!warmup_given) opt.warmup = 1;
    if (!latency_given) opt.latency_iters = 50;
    if (!sweep_given) opt.sweep_iters = 3;
    if (!thresholds_given) opt.thresholds = {4 * MiB, 64 * MiB};
  }
  return std::nullopt;
}

// ---- data ---------------------------------------------------------------------------------------------

// Element i of rank r: (r+1) * ((i mod 8) + 1) / 8, so one Sum over n ranks gives exactly
// n(n+1)/2 * ((i mod 8) + 1) / 8.
void fill(std::span<float> data, int rank) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<float>(rank + 1) * static_cast<float>((i & 7) + 1) * 0.125f;
  }
}

void verify_or_abort(std::span<const float> data, int ranks, const std::string& impl, int rank) {
  const float scale = static_cast<float>(ranks * (ranks + 1) / 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const float want = scale * static_cast<float>((i & 7) + 1) * 0.125f;
    if (data[i] != want) {
      std::fprintf(stderr, "engine_bench: WRONG RESULT from %s on rank %d: element %zu is %.9g, expected %.9g\n",
                   impl.c_str(), rank, i, static_cast<double>(data[i]), static_cast<double>(want));
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 3);
    }
  }
}

// One model's gradients: the buffer, a view per tensor and its engine name.
struct Model {
  std::vector<Gradient> grads = resnet50_gradients();
  std::vector<float> buffer;
  std::vector<ronde::Tensor> tensors;
  std::vector<std::string> names;

  Model() {
    std::size_t total = 0;
    for (const auto& g : grads) total += g.count;
    buffer.resize(total);
    for (const auto& g : grads) {
      tensors.emplace_back(buffer.data() + g.offset, ronde::DType::F32, g.shape);
      names.push_back("grad/" + g.name);
    }
  }
  std::size_t bytes() const { return buffer.size() * sizeof(float); }
  ronde::Tensor whole() { return ronde::Tensor::of(buffer); }
};

// ---- the three ways of one step -----------------------------------------------------------------------

void engine_step(ronde::Engine& engine, Model& model) {
  std::vector<ronde::Handle> handles;
  handles.reserve(model.tensors.size());
  for (std::size_t i = model.tensors.size(); i-- > 0;) {
    handles.push_back(engine.allreduce_async(model.names[i], model.tensors[i], ronde::ReduceOp::Sum));
  }
  for (const auto& handle : handles) handle.wait();
}

void mpi_per_tensor_step(Model& model) {
  for (std::size_t i = model.grads.size(); i-- > 0;) {
    MPI_Allreduce(MPI_IN_PLACE, model.buffer.data() + model.grads[i].offset, static_cast<int>(model.grads[i].count),
                  MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }
}

struct Impl {
  std::string name;
  std::function<void()> run;
  std::vector<double> seconds;  // this rank's timed iterations
};

double timed(const std::function<void()>& run) {
  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs every implementation `warmup` times (the first checked), then `iters` times each,
// interleaved: iteration k of every implementation before iteration k+1 of any. Refills the
// buffer (untimed) before in-place Sums could leave float's range.
void measure_interleaved(std::vector<Impl>& impls, Model& model, int rank, int ranks, int warmup, int iters) {
  const int refill_every = ranks <= 1 ? 1 << 30 : std::max(1, static_cast<int>(30.0 / std::log10(ranks)));
  int since_fill = 0;
  auto maybe_refill = [&] {
    if (since_fill >= refill_every) fill(model.buffer, rank), since_fill = 0;
  };
  for (auto& impl : impls) {
    fill(model.buffer, rank);
    MPI_Barrier(MPI_COMM_WORLD);
    impl.run();
    verify_or_abort(model.buffer, ranks, impl.name, rank);
    since_fill = 1;
  }
  for (int w = 1; w < warmup; ++w) {
    for (auto& impl : impls) {
      maybe_refill();
      timed(impl.run);
      ++since_fill;
    }
  }
  for (int k = 0; k < iters; ++k) {
    for (auto& impl : impls) {
      maybe_refill();
      impl.seconds.push_back(timed(impl.run));
      ++since_fill;
    }
  }
}

// ---- output -------------------------------------------------------------------------------------------

struct Row {
  std::string case_name, impl;
  std::size_t bytes;
  std::string metric;
  double value;
};

}  // namespace

static int bench_main(const Options& opt, ronde::Context& ctx) {
  const int rank = ctx.rank(), ranks = ctx.size();
  int csv_ok = 1;
  if (rank == 0 && !opt.csv_path.empty()) csv_ok = ronde::bench::CsvAppender::can_append(opt.csv_path, "engine_bench") ? 1 : 0;
  MPI_Bcast(&csv_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!csv_ok) return 1;

  Model model;
  if (model.grads.size() != kResNet50Tensors || model.buffer.size() != kResNet50Values) {
    std::fprintf(stderr, "engine_bench: the ResNet-50 list has %zu tensors, %zu values (expected %zu, %zu)\n",
                 model.grads.size(), model.buffer.size(), kResNet50Tensors, kResNet50Values);
    return 1;
  }
  const std::size_t model_bytes = model.bytes();
  const ronde::EngineOptions base = ronde::EngineOptions::from_env();
  std::vector<Row> rows;
  auto progress = [&](const std::string& line) {
    if (rank == 0) std::fprintf(stderr, "[engine %d ranks] %s\n", ranks, line.c_str()), std::fflush(stderr);
  };

  // ---- step: engine vs MPI per tensor vs the single-buffer floor ----
  // In kStepRounds rounds: an engine is made, runs its share of the steps and is destroyed; then
  // the other two run theirs, interleaved, with no engine alive (an idle engine's thread keeps
  // cycling and takes CPU from them, which a program without an engine would not pay).
  constexpr int kStepRounds = 5;
  std::vector<Result> step_results;
  std::vector<std::string> step_impls;
  double collectives_per_step = 0, cycles_per_step = 0;
  {
    ronde::Collectives coll(ctx);  // used only while no engine is alive (engine.h)
    ronde::Engine* engine = nullptr;  // this round's
    std::vector<Impl> engine_impl, others;
    engine_impl.push_back({"ronde_engine", [&] { engine_step(*engine, model); }, {}});
    others.push_back({"mpi_per_tensor", [&] { mpi_per_tensor_step(model); }, {}});
    others.push_back({"ronde_single_buffer", [&] { coll.allreduce(model.whole(), ronde::ReduceOp::Sum); }, {}});
    const int rounds = std::min(kStepRounds, opt.iters);
    std::uint64_t collectives = 0, cycles = 0, engine_steps = 0;
    for (int round = 0; round < rounds; ++round) {
      const int share = opt.iters / rounds + (round < opt.iters % rounds ? 1 : 0);
      progress("step, round " + std::to_string(round + 1) + "/" + std::to_string(rounds) + ": " +
               std::to_string(share) + " iterations of each implementation over " + human_bytes(model_bytes));
      {
        ronde::Engine round_engine(ctx, base);
        engine = &round_engine;
        const auto before = round_engine.stats();
        measure_interleaved(engine_impl, model, rank, ranks, opt.warmup, share);
        const auto after = round_engine.stats();
        collectives += after.collectives - before.collectives;
        cycles += after.cycles - before.cycles;
        engine_steps += static_cast<std::uint64_t>(opt.warmup + share);
        engine = nullptr;
      }
      measure_interleaved(others, model, rank, ranks, opt.warmup, share);
    }
    collectives_per_step = static_cast<double>(collectives) / static_cast<double>(engine_steps);
    cycles_per_step = static_cast<double>(cycles) / static_cast<double>(engine_steps);
    others.insert(others.begin(), std::move(engine_impl[0]));
    for (auto& impl : others) {
      step_results.push_back(ronde::bench::summarize(impl.seconds, model_bytes, 2.0 * (ranks - 1) / ranks));
      step_impls.push_back(impl.name);
      rows.push_back({"resnet50_step", impl.name, model_bytes, "seconds_median", step_results.back().seconds_median});
      rows.push_back({"resnet50_step", impl.name, model_bytes, "busbw_GBps", step_results.back().busbw_GBps});
    }
    rows.push_back({"resnet50_step", "ronde_engine", model_bytes, "collectives_per_step", collectives_per_step});
    rows.push_back({"resnet50_step", "ronde_engine", model_bytes, "cycles_per_step", cycles_per_step});
  }

  // ---- latency of one small tensor, with and without the response cache ----
  // At the configured cycle time, and at a short one (kFastCycle): an operation waits for the next
  // cycle to start, so at 1 ms the wait hides what the cache saves; the short cycle shows it.
  struct Latency {
    std::string case_name, impl;
    std::chrono::microseconds cycle{0};
    double seconds = 0;
    double round_trips_per_call = 0;
  };
  constexpr std::chrono::microseconds kFastCycle{100};
  std::vector<Latency> latencies;
  {
    float small[2] = {1.0f, 2.0f};
    const ronde::Tensor tensor(small, ronde::DType::F32, {2});
    for (const auto cycle : {base.cycle_time, kFastCycle}) {
      const std::string case_name = cycle == base.cycle_time ? "small_latency" : "small_latency_fast_cycle";
      for (const std::size_t capacity : {std::size_t{1024}, std::size_t{0}}) {
        ronde::EngineOptions options = base;
        options.cache_capacity = capacity;
        options.cycle_time = cycle;
        ronde::Engine engine(ctx, options);
        const std::string impl = capacity == 0 ? "ronde_engine_no_cache" : "ronde_engine_cache";
        progress("latency: " + impl + ", cycle " + std::to_string(cycle.count()) + " us");
        for (int w = 0; w < 10; ++w) engine.allreduce("latency", tensor, ronde::ReduceOp::Max);
        const auto before = engine.stats();
        std::vector<double> seconds;
        for (int k = 0; k < opt.latency_iters; ++k) {
          seconds.push_back(timed([&] { engine.allreduce("latency", tensor, ronde::ReduceOp::Max); }));
        }
        const auto after = engine.stats();
        latencies.push_back({case_name, impl, cycle, ronde::bench::summarize(seconds, 8, 1.0).seconds_median,
                             static_cast<double>(after.coordinator_round_trips - before.coordinator_round_trips) /
                                 opt.latency_iters});
      }
    }
    std::vector<double> seconds;
    for (int k = 0; k < opt.latency_iters; ++k) {
      seconds.push_back(timed([&] { MPI_Allreduce(MPI_IN_PLACE, small, 2, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD); }));
    }
    latencies.push_back({"small_latency", "mpi", {}, ronde::bench::summarize(seconds, 8, 1.0).seconds_median, 0});
    for (const auto& l : latencies) {
      rows.push_back({l.case_name, l.impl, 8, "seconds_median", l.seconds});
      if (l.impl != "mpi") rows.push_back({l.case_name, l.impl, 8, "round_trips_per_call", l.round_trips_per_call});
    }
  }

  // ---- fusion threshold sweep ----
  // An engine's threshold is fixed when it is made, so each threshold gets its own engine; the
  // thresholds take turns in kSweepRounds rounds (a fresh engine, one warm-up step, then a share of
  // the timed steps) so that a noisy spell does not land on one threshold alone.
  constexpr int kSweepRounds = 3;
  struct SweepPoint {
    std::size_t threshold;
    std::vector<double> seconds;  // this rank's timed steps
    std::uint64_t collectives = 0, steps = 0;
  };
  std::vector<SweepPoint> sweep;
  for (const std::size_t threshold : opt.thresholds) sweep.push_back({threshold, {}, 0, 0});
  const int rounds = std::min(kSweepRounds, opt.sweep_iters);
  for (int round = 0; round < rounds; ++round) {
    const int share = opt.sweep_iters / rounds + (round < opt.sweep_iters % rounds ? 1 : 0);
    for (auto& point : sweep) {
      ronde::EngineOptions options = base;
      options.fusion_threshold = point.threshold;
      ronde::Engine engine(ctx, options);
      progress("fusion threshold " + human_bytes(point.threshold) + ", round " + std::to_string(round + 1) + "/" +
               std::to_string(rounds));
      std::vector<Impl> impls;
      impls.push_back({"ronde_engine", [&] { engine_step(engine, model); }, {}});
      const auto before = engine.stats();
      measure_interleaved(impls, model, rank, ranks, 1, share);
      const auto after = engine.stats();
      point.seconds.insert(point.seconds.end(), impls[0].seconds.begin(), impls[0].seconds.end());
      point.collectives += after.collectives - before.collectives;
      point.steps += static_cast<std::uint64_t>(1 + share);
    }
  }
  std::vector<double> sweep_seconds, sweep_collectives;
  for (const auto& point : sweep) {
    const Result r = ronde::bench::summarize(point.seconds, model_bytes, 2.0 * (ranks - 1) / ranks);
    sweep_seconds.push_back(r.seconds_median);
    sweep_collectives.push_back(static_cast<double>(point.collectives) / static_cast<double>(point.steps));
    rows.push_back({"fusion_sweep", "ronde_engine", point.threshold, "seconds_median", r.seconds_median});
    rows.push_back({"fusion_sweep", "ronde_engine", point.threshold, "collectives_per_step", sweep_collectives.back()});
  }

  if (rank != 0) return 0;

  // ---- tables ----
  std::printf("\nengine: ResNet-50 gradients, %zu float32 tensors, %s, Sum in place | %d ranks | %s\n",
              model.grads.size(), human_bytes(model_bytes).c_str(), ranks, ronde::bench::mpi_library_version().c_str());
  std::printf("time = median over %d iterations of the slowest rank; engine: fusion %s, cycle %lld us, cache %zu\n\n",
              opt.iters, human_bytes(base.fusion_threshold).c_str(), static_cast<long long>(base.cycle_time.count()),
              base.cache_capacity);
  const double floor = step_results[2].seconds_median;
  std::printf("%-22s %12s %12s %14s\n", "step", "time", "busbw GB/s", "time / floor");
  for (std::size_t i = 0; i < step_impls.size(); ++i) {
    std::printf("%-22s %12s %12.2f %13.2fx\n", step_impls[i].c_str(), human_seconds(step_results[i].seconds_median).c_str(),
                step_results[i].busbw_GBps, step_results[i].seconds_median / floor);
  }
  std::printf("MPI per tensor time / engine time: %.2fx; engine: %.1f collectives and %.1f cycles per step\n\n",
              step_results[1].seconds_median / step_results[0].seconds_median, collectives_per_step, cycles_per_step);

  std::printf("%-22s %10s %12s %22s\n", "8-byte allreduce", "cycle", "latency", "round trips to rank 0");
  for (const auto& l : latencies) {
    if (l.impl == "mpi") {
      std::printf("%-22s %10s %12s %22s\n", l.impl.c_str(), "-", human_seconds(l.seconds).c_str(), "-");
    } else {
      std::printf("%-22s %10s %12s %22.2f\n", l.impl.c_str(), (std::to_string(l.cycle.count()) + " us").c_str(),
                  human_seconds(l.seconds).c_str(), l.round_trips_per_call);
    }
  }
  std::printf("\n%-22s %12s %14s %22s\n", "fusion threshold", "step time", "time / floor", "collectives per step");
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    std::printf("%-22s %12s %13.2fx %22.1f\n", human_bytes(sweep[i].threshold).c_str(),
                human_seconds(sweep_seconds[i]).c_str(), sweep_seconds[i] / floor, sweep_collectives[i]);
  }
  std::printf("\n");
  std::fflush(stdout);

  if (!opt.csv_path.empty()) {
    auto csv = ronde::bench::CsvAppender::open(opt.csv_path, "engine_bench");
    if (!csv) return 1;
    for (const auto& row : rows) csv->row("engine", row.case_name, row.impl, ranks, row.bytes, row.metric, row.value);
    const std::size_t count = csv->rows();
    if (!csv->close()) return 1;
    std::fprintf(stderr, "engine_bench: appended %zu rows to %s\n", count, opt.csv_path.c_str());
  }
  return 0;
}

int main(int argc, char** argv) {
  Options opt;
  if (auto code = parse_args(argc, argv, opt, ronde::bench::is_first_process())) return *code;
  return ronde::bench::run_with_ronde(&argc, &argv, "engine_bench",
                                      [&opt](ronde::Context& ctx) { return bench_main(opt, ctx); });
}
