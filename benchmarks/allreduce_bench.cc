// allreduce_bench: float32 Sum allreduce bandwidth of ronde against Open MPI's MPI_Allreduce and
// Gloo, measured in the same run, over the same buffer.
//
//   mpirun -np 2 build/benchmarks/allreduce_bench [--quick] [--csv bench-results/allreduce.csv]
//
// (scripts/bench.sh allreduce runs it the intended way.) Measures follow nccl-tests:
//   algbw = bytes / t,  busbw = algbw * 2(n-1)/n
// where t, for one iteration, is the slowest rank's time (MPI_Barrier, then time the call; MAX
// across ranks), and the reported time is the median over iterations.
#include <mpi.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bench_args.h"
#include "common/bench_csv.h"
#include "common/bench_format.h"
#include "common/bench_mpi.h"
#include "common/bench_sweep.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/error.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/tensor.h"

#ifdef RONDE_BENCH_WITH_GLOO
#include <gloo/allreduce.h>
#include <gloo/allreduce_ring.h>
#include <gloo/allreduce_ring_chunked.h>
#include <gloo/math.h>

#include "common/gloo_connect.h"
#endif

namespace {

using ronde::bench::contains;
using ronde::bench::human_bytes;
using ronde::bench::human_seconds;
using ronde::bench::KiB;
using ronde::bench::kMinAdaptiveIters;
using ronde::bench::MiB;
using ronde::bench::Result;

// ---- command line -----------------------------------------------------------------------------

// The sweep's options (min_bytes 4 by default) and allreduce_bench's own.
struct Options : ronde::bench::SweepOptions {
  std::vector<std::string> impls = {"ronde", "mpi", "gloo"};
  std::string gloo_algo = "ring_chunked";
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
      "usage: mpirun -np N allreduce_bench [options]\n"
      "\n"
      "Float32 Sum allreduce, in place, measured for ronde, MPI_Allreduce and Gloo in the same run\n"
      "over the same buffer. Per iteration: MPI_Barrier, time the call, take the max over ranks;\n"
      "report the median over iterations. algbw = bytes/t, busbw = algbw*2(n-1)/n (nccl-tests).\n"
      "\n"
      "options:\n"
      "  --min-bytes SIZE   smallest message (default 4; suffixes K/KiB, M/MiB, G/GiB)\n"
      "  --max-bytes SIZE   largest message (default 256MiB)\n"
      "                     sizes: powers of 4 between them (64 MiB included), plus both ends\n"
      "  --iters N          timed iterations per size and implementation (default 20; without\n"
      "                     this flag large sizes run fewer, at least %d)\n"
      "  --warmup N         untimed iterations first (default 3)\n"
      "  --quick            short run: 4B, 64KiB, 1MiB, 16MiB, 64MiB; 5 iterations, 1 warmup\n"
      "  --impls LIST       comma-separated subset of ronde,mpi,gloo (default all)\n"
      "  --gloo-algo NAME   ring_chunked (gloo::AllreduceRingChunked, default: the fastest\n"
      "                     here), ring (gloo::allreduce, Algorithm::RING) or ring_full\n"
      "                     (gloo::AllreduceRing)\n"
      "  --csv PATH         append rows to PATH (created with its header if absent)\n"
      "  --progress, --no-progress\n"
      "                     a line per size on stderr (default: on, off with --quick)\n"
      "  --help             this text\n",
      kMinAdaptiveIters);
}

// Parses argv into `opt`. Returns nullopt to go on, or an exit code (with a message on stderr, or
// the usage text on stdout for --help). `verbose`: only one rank prints.
std::optional<int> parse_args(int argc, char** argv, Options& opt, bool verbose) {
  auto own = [&opt](ronde::bench::ArgCursor& args) -> std::optional<std::string> {
    if (args.name() == "--impls") {
      const auto value = args.value();
      if (!value) return "--impls needs a list";
      opt.impls = ronde::bench::split_list(*value);
      if (opt.impls.empty()) return "--impls needs at least one of ronde,mpi,gloo";
      for (const auto& name : opt.impls) {
        if (name != "ronde" && name != "mpi" && name != "gloo") {
          return "unknown implementation '" + name + "' in --impls (ronde, mpi, gloo)";
        }
      }
      return "";
    }
    if (args.name() == "--gloo-algo") {
      const auto value = args.value();
      if (!value) return "--gloo-algo needs a name";
      if (*value != "ring" && *value != "ring_chunked" && *value != "ring_full") {
        return "unknown --gloo-algo '" + std::string(*value) + "' (ring, ring_chunked, ring_full)";
      }
      opt.gloo_algo = std::string(*value);
      return "";
    }
    return std::nullopt;
  };
  return ronde::bench::parse_sweep_args(argc, argv, "allreduce_bench", verbose, print_usage, opt, own);
}

// Whole floats; --quick: 4B, 64KiB, 1MiB, 16MiB, 64MiB.
std::vector<std::size_t> message_sizes(const Options& opt) {
  static constexpr std::size_t quick_sizes[] = {4, 64 * KiB, 1 * MiB, 16 * MiB, 64 * MiB};
  return ronde::bench::sweep_sizes(opt, sizeof(float), quick_sizes);
}

// ---- data ---------------------------------------------------------------------------------------

// Element i of rank r holds (r+1) * pattern((i + seed) mod 13) with pattern(k) = (k+1)/4: small
// exact binary fractions, so every rank's contribution differs, no value is zero, and the Sum
// over ranks is exact in float whatever the reduction order.
constexpr int kPatternLength = 13;

float pattern_value(int k) { return static_cast<float>(k + 1) * 0.25f; }

void fill(std::span<float> data, int rank, int seed) {
  std::array<float, kPatternLength> table{};
  for (int k = 0; k < kPatternLength; ++k) table[k] = static_cast<float>(rank + 1) * pattern_value(k);
  int k = seed % kPatternLength;
  for (float& x : data) {
    x = table[k];
    if (++k == kPatternLength) k = 0;
  }
}

// Checks the result of one Sum allreduce of data filled by fill(..., seed) on every rank.
void verify_or_abort(std::span<const float> data, int ranks, int seed, const char* impl,
                     std::size_t bytes, int rank) {
  const float scale = static_cast<float>(ranks) * static_cast<float>(ranks + 1) / 2.0f;
  std::array<float, kPatternLength> expected{};
  for (int k = 0; k < kPatternLength; ++k) expected[k] = scale * pattern_value(k);
  int k = seed % kPatternLength;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const float want = expected[k];
    if (!(std::fabs(data[i] - want) <= 1e-6f * want)) {
      std::fprintf(stderr,
                   "allreduce_bench: WRONG RESULT from %s on rank %d for %zu bytes: element %zu "
                   "is %.9g, expected %.9g (sum over %d ranks)\n",
                   impl, rank, bytes, i, static_cast<double>(data[i]), static_cast<double>(want),
                   ranks);
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 3);
    }
    if (++k == kPatternLength) k = 0;
  }
}

// ---- implementations ----------------------------------------------------------------------------

struct Impl {
  std::string name;
  // Called once per size, untimed, before any iteration: set up whatever is bound to the buffer.
  std::function<void(float* data, std::size_t count)> prepare;
  // One in-place Sum allreduce of data[0, count).
  std::function<void(float* data, std::size_t count)> run;
};

#ifdef RONDE_BENCH_WITH_GLOO
// Gloo variants (--gloo-algo). All three run a ring over the same loopback TCP pairs:
//  - "ring_chunked" (default): gloo::AllreduceRingChunked<float> — reduce-scatter then allgather
//    in 2n chunks with two receives in flight. Constructed once per size, untimed; it allocates
//    two full-size inboxes. The fastest ring here (Gloo 0.5.0, 2 cores, loopback): at 64 MiB it
//    ties "ring" (2 ranks ~36 ms, 4 ranks ~89 ms) and below 1 MiB it is 10-40x faster, because
//    "ring" never finishes a call in less than ~4 ms on this machine.
//  - "ring": gloo::allreduce(AllreduceOptions) with Algorithm::RING — the newer API: the same
//    reduce-scatter/allgather over unbound buffers, 1 MiB segments, no full-size copies.
//  - "ring_full": gloo::AllreduceRing<float> — passes the whole buffer around the ring n-1
//    times, moving n/2 times more bytes than a bandwidth-optimal ring. For reference only.
Impl make_gloo_impl(const std::shared_ptr<gloo::Context>& context, const std::string& algo) {
  Impl impl;
  impl.name = "gloo";
  if (algo == "ring") {
    impl.prepare = [](float*, std::size_t) {};
    impl.run = [context](float* data, std::size_t count) {
      gloo::AllreduceOptions opts(context);
      opts.setAlgorithm(gloo::AllreduceOptions::Algorithm::RING);
      opts.setOutput(data, count);
      opts.setReduceFunction(
          static_cast<void (*)(void*, const void*, const void*, std::size_t)>(&gloo::sum<float>));
      gloo::allreduce(opts);
    };
    return impl;
  }
  auto algorithm = std::make_shared<std::unique_ptr<gloo::Algorithm>>();
  impl.prepare = [context, algo, algorithm](float* data, std::size_t count) {
    algorithm->reset();  // free the previous size's inboxes first
    std::vector<float*> ptrs = {data};
    if (algo == "ring_chunked") {
      *algorithm = std::make_unique<gloo::AllreduceRingChunked<float>>(context, ptrs, static_cast<int>(count));
    } else {
      *algorithm = std::make_unique<gloo::AllreduceRing<float>>(context, ptrs, static_cast<int>(count));
    }
  };
  impl.run = [algorithm](float*, std::size_t) { (*algorithm)->run(); };
  return impl;
}
#endif

// ---- measurement ----------------------------------------------------------------------------------

Result measure(Impl& impl, std::span<float> data, int rank, int ranks, int seed, int warmup,
               int iters) {
  const std::size_t count = data.size();
  const std::size_t bytes = count * sizeof(float);
  // In-place Sum multiplies magnitudes by about `ranks` per call; refill (untimed) before that
  // could approach float's range. Values start below 4 * ranks * (ranks + 1).
  const int refill_every =
      ranks <= 1 ? 1 << 30 : std::max(1, static_cast<int>(30.0 / std::log10(static_cast<double>(ranks))));

  fill(data, rank, seed);
  impl.prepare(data.data(), count);
  MPI_Barrier(MPI_COMM_WORLD);
  // First call: checked, and it doubles as the first warm-up iteration.
  impl.run(data.data(), count);
  verify_or_abort(data, ranks, seed, impl.name.c_str(), bytes, rank);
  int since_fill = 1;
  for (int i = 1; i < warmup; ++i) {
    if (since_fill >= refill_every) fill(data, rank, seed), since_fill = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    impl.run(data.data(), count);
    ++since_fill;
  }
  std::vector<double> local(static_cast<std::size_t>(iters));
  for (int i = 0; i < iters; ++i) {
    if (since_fill >= refill_every) fill(data, rank, seed), since_fill = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    impl.run(data.data(), count);
    const auto t1 = std::chrono::steady_clock::now();
    local[static_cast<std::size_t>(i)] = std::chrono::duration<double>(t1 - t0).count();
    ++since_fill;
  }
  return ronde::bench::summarize(local, bytes, 2.0 * (ranks - 1) / ranks);
}

}  // namespace

// The body of the benchmark, with the ronde Context alive for its whole duration.
static int bench_main(const Options& opt, ronde::Context& ctx) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ctx.size() != ranks || ctx.rank() != rank) {
    std::fprintf(stderr, "allreduce_bench: ronde sees rank %d of %d but MPI_COMM_WORLD rank %d of %d\n",
                 ctx.rank(), ctx.size(), rank, ranks);
    return 1;
  }

  int csv_ok = 1;
  if (rank == 0 && !opt.csv_path.empty()) csv_ok = ronde::bench::CsvAppender::can_append(opt.csv_path, "allreduce_bench") ? 1 : 0;
  MPI_Bcast(&csv_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!csv_ok) return 1;

  auto wants = [&](std::string_view name) { return contains(opt.impls, name); };

  // Implementations, in the order they are measured and printed.
  std::vector<Impl> impls;
  ronde::Collectives coll(ctx);  // one for the whole run: it keeps its scratch between calls
  if (wants("ronde")) {
    impls.push_back({"ronde", [](float*, std::size_t) {},
                     [&coll](float* data, std::size_t count) {
                       coll.allreduce(ronde::Tensor::of(std::span<float>(data, count)), ronde::ReduceOp::Sum);
                     }});
  }
  if (wants("mpi")) {
    impls.push_back({"mpi", [](float*, std::size_t) {}, [](float* data, std::size_t count) {
                       MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM,
                                     MPI_COMM_WORLD);
                     }});
  }
  std::string gloo_desc;
#ifdef RONDE_BENCH_WITH_GLOO
  std::shared_ptr<gloo::Context> gloo_context;
  if (wants("gloo")) {
    gloo_context = ronde::bench::connect_gloo(rank, ranks, "allreduce_bench");
    impls.push_back(make_gloo_impl(gloo_context, opt.gloo_algo));
    gloo_desc = "gloo " + opt.gloo_algo + " over tcp " + ronde::bench::choose_gloo_address().address;
  }
#else
  if (wants("gloo") && rank == 0) {
    std::fprintf(stderr, "allreduce_bench: built without Gloo (libgloo-dev not found at configure time); "
                         "skipping gloo\n");
  }
#endif
  if (impls.empty()) {
    if (rank == 0) std::fprintf(stderr, "allreduce_bench: nothing to measure\n");
    return 1;
  }

  const std::vector<std::size_t> sizes = message_sizes(opt);
  const std::size_t max_count = sizes.back() / sizeof(float);
  std::vector<float> buffer(max_count);  // one buffer for everyone
  const bool progress = opt.progress.value_or(!opt.quick);

  // results[size index][impl index]
  std::vector<std::vector<Result>> results(sizes.size(), std::vector<Result>(impls.size()));
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    const std::size_t bytes = sizes[s];
    const auto [iters, warmup] = ronde::bench::plan_iterations(opt, bytes);
    std::span<float> data(buffer.data(), bytes / sizeof(float));
    for (std::size_t i = 0; i < impls.size(); ++i) {
      const int seed = static_cast<int>(s * 7 + i * 3 + 1);  // fresh data for each implementation
      results[s][i] = measure(impls[i], data, rank, ranks, seed, warmup, iters);
    }
    if (progress && rank == 0) {
      std::string line = "[allreduce " + std::to_string(ranks) + " ranks] " + human_bytes(bytes) + " (" +
                         std::to_string(s + 1) + "/" + std::to_string(sizes.size()) + "):";
      for (std::size_t i = 0; i < impls.size(); ++i) {
        line += " " + impls[i].name + " " + human_seconds(results[s][i].seconds_median);
      }
      std::fprintf(stderr, "%s\n", line.c_str());
      std::fflush(stderr);
    }
  }

  if (rank != 0) return 0;

  // ---- table ----
  std::printf("\nallreduce float32 sum, in place | %d ranks | %s%s%s\n", ranks,
              ronde::bench::mpi_library_version().c_str(), gloo_desc.empty() ? "" : " | ", gloo_desc.c_str());
  std::printf("time = median over iterations of the slowest rank; GB/s = 1e9 B/s; "
              "busbw = algbw*2(n-1)/n\n\n");
  std::vector<std::string> names;
  for (const auto& impl : impls) names.push_back(impl.name);
  ronde::bench::print_result_table("bytes", names, sizes, results, ranks);

  // ---- CSV ----
  if (!opt.csv_path.empty()) {
    auto csv = ronde::bench::CsvAppender::open(opt.csv_path, "allreduce_bench");
    if (!csv) return 1;
    for (std::size_t s = 0; s < sizes.size(); ++s) {
      for (std::size_t i = 0; i < impls.size(); ++i) {
        const Result& r = results[s][i];
        csv->row("allreduce", "f32_sum", impls[i].name, ranks, sizes[s], "seconds_median", r.seconds_median);
        csv->row("allreduce", "f32_sum", impls[i].name, ranks, sizes[s], "algbw_GBps", r.algbw_GBps);
        csv->row("allreduce", "f32_sum", impls[i].name, ranks, sizes[s], "busbw_GBps", r.busbw_GBps);
      }
    }
    const std::size_t rows = csv->rows();
    if (!csv->close()) return 1;
    std::fprintf(stderr, "allreduce_bench: appended %zu rows to %s\n", rows, opt.csv_path.c_str());
  }
  return 0;
}

int main(int argc, char** argv) {
  // Before MPI is up, print parse errors and --help from one process only.
  Options opt;
  if (auto code = parse_args(argc, argv, opt, ronde::bench::is_first_process())) return *code;
  return ronde::bench::run_with_ronde(&argc, &argv, "allreduce_bench",
                                      [&opt](ronde::Context& ctx) { return bench_main(opt, ctx); });
}
