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
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "common/bench_csv.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/error.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/tensor.h"

#ifdef RONDE_BENCH_WITH_GLOO
#include <sys/socket.h>

#include <gloo/allreduce.h>
#include <gloo/allreduce_ring.h>
#include <gloo/allreduce_ring_chunked.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/transport/tcp/device.h>
#endif

namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;
constexpr std::size_t GiB = 1024 * MiB;
// Without an explicit --iters, large sizes run fewer iterations: at most this many bytes per
// implementation and size (never fewer than kMinAdaptiveIters iterations).
constexpr std::size_t kAdaptiveByteBudget = 1 * GiB;
constexpr int kMinAdaptiveIters = 5;

// ---- command line -----------------------------------------------------------------------------

struct Options {
  std::size_t min_bytes = 4;
  std::size_t max_bytes = 256 * MiB;
  int iters = 20;
  int warmup = 3;
  bool iters_given = false;
  bool warmup_given = false;
  bool quick = false;
  std::optional<bool> progress;  // default: on except for --quick
  std::string csv_path;
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

std::optional<std::size_t> parse_size(std::string_view text) {
  std::size_t pos = 0;
  std::uint64_t value = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    value = value * 10 + static_cast<std::uint64_t>(text[pos] - '0');
    if (value > (std::uint64_t{1} << 50)) return std::nullopt;
    ++pos;
  }
  if (pos == 0) return std::nullopt;
  std::string suffix(text.substr(pos));
  for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::uint64_t scale = 1;
  if (suffix.empty() || suffix == "b") scale = 1;
  else if (suffix == "k" || suffix == "kib" || suffix == "kb") scale = KiB;
  else if (suffix == "m" || suffix == "mib" || suffix == "mb") scale = MiB;
  else if (suffix == "g" || suffix == "gib" || suffix == "gb") scale = GiB;
  else return std::nullopt;
  return static_cast<std::size_t>(value * scale);
}

std::optional<int> parse_int(std::string_view text, int min_value) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < min_value) return std::nullopt;
  return value;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Parses argv into `opt`. Returns 0 to go on, or an exit code (with a message on stderr, or the
// usage text on stdout for --help). `verbose`: only one rank prints.
std::optional<int> parse_args(int argc, char** argv, Options& opt, bool verbose) {
  auto fail = [&](const std::string& message) -> std::optional<int> {
    if (verbose) {
      std::fprintf(stderr, "allreduce_bench: %s\n", message.c_str());
      std::fprintf(stderr, "run with --help for the options\n");
    }
    return 2;
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_inline_value = false;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline_value = true;
      }
    }
    auto need_value = [&]() -> bool {
      if (has_inline_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      if (verbose) print_usage(stdout);
      return 0;
    } else if (arg == "--quick") {
      opt.quick = true;
    } else if (arg == "--progress") {
      opt.progress = true;
    } else if (arg == "--no-progress") {
      opt.progress = false;
    } else if (arg == "--min-bytes" || arg == "--max-bytes") {
      if (!need_value()) return fail(std::string(arg) + " needs a value");
      auto size = parse_size(value);
      if (!size || *size == 0) return fail("bad size for " + std::string(arg) + ": '" + std::string(value) + "'");
      (arg == "--min-bytes" ? opt.min_bytes : opt.max_bytes) = *size;
    } else if (arg == "--iters" || arg == "--warmup") {
      if (!need_value()) return fail(std::string(arg) + " needs a value");
      const bool is_iters = arg == "--iters";
      auto n = parse_int(value, is_iters ? 1 : 0);
      if (!n) return fail("bad count for " + std::string(arg) + ": '" + std::string(value) + "'");
      if (is_iters) {
        opt.iters = *n;
        opt.iters_given = true;
      } else {
        opt.warmup = *n;
        opt.warmup_given = true;
      }
    } else if (arg == "--csv") {
      if (!need_value() || value.empty()) return fail("--csv needs a path");
      opt.csv_path = std::string(value);
    } else if (arg == "--impls") {
      if (!need_value()) return fail("--impls needs a list");
      opt.impls = split_list(value);
      if (opt.impls.empty()) return fail("--impls needs at least one of ronde,mpi,gloo");
      for (const auto& name : opt.impls) {
        if (name != "ronde" && name != "mpi" && name != "gloo") {
          return fail("unknown implementation '" + name + "' in --impls (ronde, mpi, gloo)");
        }
      }
    } else if (arg == "--gloo-algo") {
      if (!need_value()) return fail("--gloo-algo needs a name");
      if (value != "ring" && value != "ring_chunked" && value != "ring_full") {
        return fail("unknown --gloo-algo '" + std::string(value) + "' (ring, ring_chunked, ring_full)");
      }
      opt.gloo_algo = std::string(value);
    } else {
      return fail("unknown argument '" + std::string(argv[i]) + "'");
    }
  }
  if (opt.min_bytes > opt.max_bytes) return fail("--min-bytes is larger than --max-bytes");
  if (opt.quick) {
    if (!opt.iters_given) opt.iters = 5;
    if (!opt.warmup_given) opt.warmup = 1;
  }
  return std::nullopt;
}

std::vector<std::size_t> message_sizes(const Options& opt) {
  auto round = [](std::size_t bytes) { return std::max<std::size_t>(sizeof(float), bytes / sizeof(float) * sizeof(float)); };
  const std::size_t lo = round(opt.min_bytes);
  const std::size_t hi = round(opt.max_bytes);
  std::vector<std::size_t> sizes;
  if (opt.quick) {
    for (std::size_t s : {std::size_t{4}, 64 * KiB, 1 * MiB, 16 * MiB, 64 * MiB}) {
      if (s >= lo && s <= hi) sizes.push_back(s);
    }
    if (sizes.empty()) sizes.push_back(lo);
    return sizes;
  }
  for (std::size_t s = 4; s <= hi; s *= 4) {
    if (s >= lo) sizes.push_back(s);
  }
  if (64 * MiB >= lo && 64 * MiB <= hi) sizes.push_back(64 * MiB);
  sizes.push_back(lo);
  sizes.push_back(hi);
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

// ---- formatting -------------------------------------------------------------------------------

std::string human_bytes(std::size_t bytes) {
  static constexpr std::array<const char*, 4> units = {"B", "KiB", "MiB", "GiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < units.size()) {
    value /= 1024.0;
    ++unit;
  }
  char buf[32];
  if (value == std::floor(value)) std::snprintf(buf, sizeof buf, "%.0f %s", value, units[unit]);
  else std::snprintf(buf, sizeof buf, "%.2f %s", value, units[unit]);
  return buf;
}

std::string human_seconds(double seconds) {
  char buf[32];
  if (seconds < 1e-3) std::snprintf(buf, sizeof buf, "%.1f us", seconds * 1e6);
  else if (seconds < 1.0) std::snprintf(buf, sizeof buf, "%.2f ms", seconds * 1e3);
  else std::snprintf(buf, sizeof buf, "%.3f s", seconds);
  return buf;
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
// Gloo over TCP on loopback, rendezvous through a FileStore in a fresh directory under /tmp that
// rank 0 creates and broadcasts.
std::shared_ptr<gloo::Context> connect_gloo(int rank, int size) {
  std::array<char, 256> dir{};
  if (rank == 0) {
    char templ[] = "/tmp/ronde-bench-gloo-XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
      std::fprintf(stderr, "allreduce_bench: mkdtemp(%s) failed: %s\n", templ, std::strerror(errno));
    } else {
      std::snprintf(dir.data(), dir.size(), "%s", templ);
    }
  }
  MPI_Bcast(dir.data(), static_cast<int>(dir.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  if (dir[0] == '\0') throw std::runtime_error("no rendezvous directory for gloo");

  gloo::transport::tcp::attr attr;
  attr.hostname = "127.0.0.1";
  attr.ai_family = AF_INET;
  auto device = gloo::transport::tcp::CreateDevice(attr);
  auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
  context->setTimeout(std::chrono::minutes(5));
  {
    gloo::rendezvous::FileStore store(dir.data());
    context->connectFullMesh(store, device);
  }
  // Every rank is connected: the store's files are no longer needed.
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir.data(), ec);
  }
  return context;
}

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

struct Result {
  double seconds_median = 0;
  double algbw_GBps = 0;
  double busbw_GBps = 0;
  int iters = 0;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

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
  // Per iteration, the slowest rank's time.
  std::vector<double> slowest(local.size());
  MPI_Allreduce(local.data(), slowest.data(), iters, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);

  Result r;
  r.iters = iters;
  r.seconds_median = median(slowest);
  r.algbw_GBps = r.seconds_median > 0 ? static_cast<double>(bytes) / r.seconds_median / 1e9 : 0.0;
  r.busbw_GBps = r.algbw_GBps * 2.0 * (ranks - 1) / ranks;
  return r;
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string s(text, static_cast<std::size_t>(std::max(0, len)));
  if (auto comma = s.find(','); comma != std::string::npos) s.resize(comma);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
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

  auto wants = [&](std::string_view name) {
    return std::find(opt.impls.begin(), opt.impls.end(), name) != opt.impls.end();
  };

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
    gloo_context = connect_gloo(rank, ranks);
    impls.push_back(make_gloo_impl(gloo_context, opt.gloo_algo));
    gloo_desc = "gloo " + opt.gloo_algo + " over tcp 127.0.0.1";
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
    int iters = opt.iters;
    int warmup = opt.warmup;
    if (!opt.iters_given) {
      const auto budget = static_cast<int>(std::min<std::size_t>(kAdaptiveByteBudget / bytes, 1 << 20));
      iters = std::clamp(budget, std::min(kMinAdaptiveIters, opt.iters), opt.iters);
    }
    if (!opt.warmup_given) warmup = std::min(warmup, std::max(1, iters / 4));
    warmup = std::max(warmup, 1);  // the checked first call is always made
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
  auto index_of = [&](std::string_view name) -> int {
    for (std::size_t i = 0; i < impls.size(); ++i)
      if (impls[i].name == name) return static_cast<int>(i);
    return -1;
  };
  const int i_ronde = index_of("ronde");
  std::vector<int> ratio_against;
  if (i_ronde >= 0) {
    for (const char* other : {"mpi", "gloo"})
      if (index_of(other) >= 0) ratio_against.push_back(index_of(other));
  }

  std::printf("\nallreduce float32 sum, in place | %d ranks | %s%s%s\n", ranks,
              mpi_library_version().c_str(), gloo_desc.empty() ? "" : " | ", gloo_desc.c_str());
  std::printf("time = median over iterations of the slowest rank; GB/s = 1e9 B/s; "
              "busbw = algbw*2(n-1)/n\n\n");
  std::string line1 = "                 ";
  std::string line2 = "      bytes iters";
  char buf[256];
  for (const auto& impl : impls) {
    std::string title = " " + impl.name + " ";
    const int width = 29;
    int dashes = width - static_cast<int>(title.size());
    line1 += "  " + std::string(static_cast<std::size_t>(dashes / 2), '-') + title +
             std::string(static_cast<std::size_t>(dashes - dashes / 2), '-');
    line2 += "   time(us)    algbw    busbw";
  }
  if (!ratio_against.empty()) {
    line1 += "   busbw ratio";
    for (int j : ratio_against) {
      std::snprintf(buf, sizeof buf, " %11s", ("ronde/" + impls[static_cast<std::size_t>(j)].name).c_str());
      line2 += buf;
    }
  }
  std::printf("%s\n%s\n", line1.c_str(), line2.c_str());
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    std::snprintf(buf, sizeof buf, "%11s %5d", human_bytes(sizes[s]).c_str(), results[s][0].iters);
    std::string row = buf;
    for (std::size_t i = 0; i < impls.size(); ++i) {
      const Result& r = results[s][i];
      std::snprintf(buf, sizeof buf, "  %11.1f %8.3f %8.3f", r.seconds_median * 1e6, r.algbw_GBps, r.busbw_GBps);
      row += buf;
    }
    for (int j : ratio_against) {
      const Result& mine = results[s][static_cast<std::size_t>(i_ronde)];
      const Result& other = results[s][static_cast<std::size_t>(j)];
      // With one rank busbw is 0 by definition; compare algbw instead.
      const double num = ranks > 1 ? mine.busbw_GBps : mine.algbw_GBps;
      const double den = ranks > 1 ? other.busbw_GBps : other.algbw_GBps;
      if (den > 0) std::snprintf(buf, sizeof buf, " %10.2fx", num / den);
      else std::snprintf(buf, sizeof buf, " %11s", "-");
      row += buf;
    }
    std::printf("%s\n", row.c_str());
  }
  std::printf("\n");
  std::fflush(stdout);

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
  const char* env_rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (env_rank == nullptr) env_rank = std::getenv("PMIX_RANK");
  const bool first_process = env_rank == nullptr || std::string_view(env_rank) == "0";
  Options opt;
  if (auto code = parse_args(argc, argv, opt, first_process)) return *code;

  int status = 0;
  bool we_initialized_mpi = false;
  try {
    // ronde::init() initialises MPI itself when launched by mpirun; keep its Context for the
    // whole run (it finalises MPI when it goes away, if it initialised it).
    ronde::Context ctx = ronde::init();
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {  // a single process started without mpirun
      MPI_Init(&argc, &argv);
      we_initialized_mpi = true;
    }
    try {
      status = bench_main(opt, ctx);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "allreduce_bench: %s\n", e.what());
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    // Everyone leaves together, so no rank finalises while another still talks to it.
    MPI_Barrier(MPI_COMM_WORLD);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "allreduce_bench: %s\n", e.what());
    return 1;
  }
  if (we_initialized_mpi) MPI_Finalize();
  return status;
}
