// What the benchmarks that sweep message sizes over MPI ranks share (allreduce_bench,
// collectives_bench): their common options, the sizes they measure and how many iterations.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/bench_args.h"

namespace ronde::bench {

// Without an explicit --iters, large sizes run fewer iterations: at most this many bytes per
// implementation and size (never fewer than kMinAdaptiveIters iterations).
inline constexpr std::size_t kAdaptiveByteBudget = 1 * GiB;
inline constexpr int kMinAdaptiveIters = 5;

// The options every sweep takes: --min-bytes SIZE, --max-bytes SIZE, --iters N (at least 1),
// --warmup N, --quick, --csv PATH, --progress, --no-progress (and --help, -h).
struct SweepOptions {
  std::size_t min_bytes = 4;
  std::size_t max_bytes = 256 * MiB;
  int iters = 20;
  int warmup = 3;
  bool iters_given = false;
  bool warmup_given = false;
  bool quick = false;
  std::optional<bool> progress;  // default: on except for --quick
  std::string csv_path;
};

// A program's own options, called with the cursor on an argument that is none of SweepOptions'.
// Returns nullopt when it is none of the program's either; "" when it took it (and its value);
// otherwise the error to report.
using OwnOptionParser = std::function<std::optional<std::string>(ArgCursor& args)>;

// Parses argv into `opt` and, through `own`, the program's own options. Returns nullopt to go on,
// or an exit code (with a message on stderr, prefixed with `program`, or the usage text on stdout
// for --help). `verbose`: only one rank prints. Afterwards min_bytes <= max_bytes, and --quick
// has set 5 iterations and 1 warm-up where they were not given.
std::optional<int> parse_sweep_args(int argc, char** argv, const char* program, bool verbose,
                                    void (*print_usage)(std::FILE* out), SweepOptions& opt,
                                    const OwnOptionParser& own);

// The sizes to measure, each a whole number of `unit` bytes (at least one): with --quick, those of
// `quick_sizes` (rounded down to a multiple of `unit`) between min_bytes and max_bytes, in their
// order, or min_bytes alone when there are none; otherwise, ascending, the powers of 4 from 4 bytes
// up to max_bytes that are at least min_bytes, 64 MiB when between them, and both ends, rounded.
std::vector<std::size_t> sweep_sizes(const SweepOptions& opt, std::size_t unit,
                                     std::span<const std::size_t> quick_sizes);

struct IterationPlan {
  int iters = 0;   // timed
  int warmup = 0;  // untimed, first; at least 1: the first call is the one checked
};

// The iterations for one size: --iters, or without it fewer for large sizes (kAdaptiveByteBudget,
// kMinAdaptiveIters); --warmup, or without it no more than a quarter of the timed ones.
IterationPlan plan_iterations(const SweepOptions& opt, std::size_t bytes);

}  // namespace ronde::bench
