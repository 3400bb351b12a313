#include "bench_sweep.h"

#include <algorithm>

namespace ronde::bench {

std::optional<int> parse_sweep_args(int argc, char** argv, const char* program, bool verbose,
                                    void (*print_usage)(std::FILE* out), SweepOptions& opt,
                                    const OwnOptionParser& own) {
  auto fail = [&](const std::string& message) -> std::optional<int> {
    if (verbose) {
      std::fprintf(stderr, "%s: %s\n", program, message.c_str());
      std::fprintf(stderr, "run with --help for the options\n");
    }
    return 2;
  };
  ArgCursor args(argc, argv);
  while (args.next()) {
    const std::string arg(args.name());
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
      const auto value = args.value();
      if (!value) return fail(arg + " needs a value");
      const auto size = parse_size(*value);
      if (!size || *size == 0) return fail("bad size for " + arg + ": '" + std::string(*value) + "'");
      (arg == "--min-bytes" ? opt.min_bytes : opt.max_bytes) = *size;
    } else if (arg == "--iters" || arg == "--warmup") {
      const auto value = args.value();
      if (!value) return fail(arg + " needs a value");
      const bool is_iters = arg == "--iters";
      const auto n = parse_int(*value, is_iters ? 1 : 0);
      if (!n) return fail("bad count for " + arg + ": '" + std::string(*value) + "'");
      (is_iters ? opt.iters : opt.warmup) = *n;
      (is_iters ? opt.iters_given : opt.warmup_given) = true;
    } else if (arg == "--csv") {
      const auto value = args.value();
      if (!value || value->empty()) return fail("--csv needs a path");
      opt.csv_path = std::string(*value);
    } else if (auto error = own(args)) {
      if (!error->empty()) return fail(*error);
    } else {
      return fail("unknown argument '" + std::string(args.arg()) + "'");
    }
  }
  if (opt.min_bytes > opt.max_bytes) return fail("--min-bytes is larger than --max-bytes");
  if (opt.quick) {
    if (!opt.iters_given) opt.iters = 5;
    if (!opt.warmup_given) opt.warmup = 1;
  }
  return std::nullopt;
}

std::vector<std::size_t> sweep_sizes(const SweepOptions& opt, std::size_t unit,
                                     std::span<const std::size_t> quick_sizes) {
  auto round = [unit](std::size_t bytes) { return std::max(unit, bytes / unit * unit); };
  const std::size_t lo = round(opt.min_bytes);
  const std::size_t hi = round(opt.max_bytes);
  std::vector<std::size_t> sizes;
  if (opt.quick) {
    for (std::size_t s : quick_sizes) {
      if (round(s) >= lo && round(s) <= hi) sizes.push_back(round(s));
    }
    if (sizes.empty()) sizes.push_back(lo);
    return sizes;
  }
  for (std::size_t s = 4; s <= hi; s *= 4) {
    if (round(s) >= lo) sizes.push_back(round(s));
  }
  if (round(64 * MiB) >= lo && round(64 * MiB) <= hi) sizes.push_back(round(64 * MiB));
  sizes.push_back(lo);
  sizes.push_back(hi);
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

IterationPlan plan_iterations(const SweepOptions& opt, std::size_t bytes) {
  IterationPlan plan{opt.iters, opt.warmup};
  if (!opt.iters_given) {
    const auto budget = static_cast<int>(std::min<std::size_t>(kAdaptiveByteBudget / bytes, 1 << 20));
    plan.iters = std::clamp(budget, std::min(kMinAdaptiveIters, opt.iters), opt.iters);
  }
  if (!opt.warmup_given) plan.warmup = std::min(plan.warmup, std::max(1, plan.iters / 4));
  plan.warmup = std::max(plan.warmup, 1);  // the checked first call is always made
  return plan;
}

}  // namespace ronde::bench
