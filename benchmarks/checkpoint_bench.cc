// Checkpoint stall: how long an asynchronous save stops training, against the time to copy the same
// state once in memory (the least a consistent snapshot can cost), and how fast the background
// persist then runs. The state is `--tensors` float32 tensors of `size` bytes in all, saved through
// the Checkpointer to a local directory (file://), median of `--iters` saves each.
//
//   build/benchmarks/checkpoint_bench [--sizes 64M,256M,1G] [--iters 5] [--tensors 16]
//                                     [--dir PATH] [--csv PATH]
//   mpirun -np 2 build/benchmarks/checkpoint_bench ...     (each rank uploads ~1/N of the state)
//
// Reported per size (rank 0; times are the slowest rank's):
//   stall    maybe_save() returning (snapshot into host staging + handing the save to its thread)
//   memcpy   one memcpy of the whole state into another buffer
//   persist  maybe_save() until wait() returns (the commit: shards written, fsynced, manifest)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/bench_args.h"
#include "common/bench_csv.h"
#include "common/bench_format.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/context.h"

namespace {

using ronde::bench::MiB;

struct Options {
  std::vector<std::size_t> sizes = {64 * MiB, 256 * MiB, 1024 * MiB};
  int iters = 5;
  int tensors = 16;
  std::string dir;
  std::string csv;
};

constexpr const char* kUsage =
    "usage: checkpoint_bench [--sizes 64M,256M,1G] [--iters 5] [--tensors 16] [--dir PATH] [--csv PATH]\n"
    "Measures the training stall of an asynchronous checkpoint save against one memcpy of the state,\n"
    "and the background persist's throughput, saving to a local directory (default: a temporary one).\n";

bool parse(int argc, char** argv, Options& options) {
  ronde::bench::ArgCursor args(argc, argv);
  while (args.next()) {
    const auto name = args.name();
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    const auto value = args.value();
    if (!value) {
      std::fprintf(stderr, "checkpoint_bench: %s needs a value\n%s", std::string(name).c_str(), kUsage);
      return false;
    }
    if (name == "--sizes") {
      options.sizes.clear();
      for (const auto& item : ronde::bench::split_list(*value)) {
        const auto size = ronde::bench::parse_size(item);
        if (!size || *size == 0) {
          std::fprintf(stderr, "checkpoint_bench: bad size '%s'\n", item.c_str());
          return false;
        }
        options.sizes.push_back(*size);
      }
    } else if (name == "--iters" || name == "--tensors") {
      const auto count = ronde::bench::parse_int(*value, 1);
      if (!count) {
        std::fprintf(stderr, "checkpoint_bench: %s needs a positive count\n", std::string(name).c_str());
        return false;
      }
      (name == "--iters" ? options.iters : options.tensors) = *count;
    } else if (name == "--dir") {
      options.dir = *value;
    } else if (name == "--csv") {
      options.csv = *value;
    } else {
      std::fprintf(stderr, "checkpoint_bench: unknown option %s\n%s", std::string(args.arg()).c_str(), kUsage);
      return false;
    }
  }
  return true;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The slowest rank's time.
double slowest(ronde::Collectives& collectives, double seconds) {
  collectives.allreduce(ronde::Tensor(&seconds, ronde::DType::F64, {1}), ronde::ReduceOp::Max);
  return seconds;
}

struct Measured {
  double stall = 0, memcpy = 0, persist = 0;
};

Measured measure(ronde::Context& ctx, ronde::Collectives& collectives, const Options& options, std::size_t bytes,
                 const std::filesystem::path& dir) {
  const std::size_t per_tensor = std::max<std::size_t>(bytes / options.tensors / sizeof(float), 1);
  std::vector<std::vector<float>> tensors(options.tensors, std::vector<float>(per_tensor));
  ronde::checkpoint::CheckpointState state;
  for (int t = 0; t < options.tensors; ++t) {
    for (std::size_t i = 0; i < per_tensor; ++i) tensors[t][i] = static_cast<float>((i * 7 + t) % 1000);
    state.add_replicated("layer" + std::to_string(t) + ".w", ronde::Tensor::of(tensors[t]));
  }
  ronde::checkpoint::Checkpointer checkpointer(
      ctx, "file://" + dir.string(), {.every_steps = 1, .keep_last = 1, .async = true, .watch_interruptions = false});

  std::vector<float> copy(per_tensor * options.tensors);
  std::vector<double> stalls, copies, persists;
  for (int iter = 0; iter < options.iters; ++iter) {
    collectives.barrier();
    const auto start = std::chrono::steady_clock::now();
    checkpointer.maybe_save(iter + 1, state);
    const double stall = seconds_since(start);
    checkpointer.wait();
    const double persist = seconds_since(start);
    stalls.push_back(slowest(collectives, stall));
    persists.push_back(slowest(collectives, persist));

    const auto copy_start = std::chrono::steady_clock::now();
    for (int t = 0; t < options.tensors; ++t) {
      std::memcpy(copy.data() + t * per_tensor, tensors[t].data(), per_tensor * sizeof(float));
    }
    copies.push_back(slowest(collectives, seconds_since(copy_start)));
  }
  return {ronde::bench::median(stalls), ronde::bench::median(copies), ronde::bench::median(persists)};
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) return 2;
  ronde::Context ctx = ronde::init();
  ronde::Collectives collectives(ctx);
  const bool root = ctx.rank() == 0;

  std::filesystem::path dir = options.dir;
  const bool temporary = dir.empty();
  if (temporary) dir = std::filesystem::temp_directory_path() / "ronde-checkpoint-bench";  // the same on every rank
  std::optional<ronde::bench::CsvAppender> csv;
  if (root && !options.csv.empty()) {
    if (auto opened = ronde::bench::CsvAppender::open(options.csv, "checkpoint_bench")) {
      csv.emplace(std::move(*opened));
    } else {
      return 1;
    }
  }

  if (root) {
    std::printf("checkpoint_bench: %d rank(s), %d tensors, %d saves per size, to %s\n", ctx.size(), options.tensors,
                options.iters, dir.c_str());
    std::printf("%10s %12s %12s %12s %10s %12s\n", "state", "stall", "memcpy", "persist", "stall/cp", "persist GB/s");
  }
  for (const std::size_t bytes : options.sizes) {
    // Every rank uses the directory rank 0 names (a shared file system, as a checkpoint needs).
    const auto size_dir = dir / ("state-" + std::to_string(bytes));
    const Measured m = measure(ctx, collectives, options, bytes, size_dir);
    const double persist_gbps = static_cast<double>(bytes) / m.persist / 1e9;
    if (root) {
      std::printf("%10s %12s %12s %12s %9.2fx %12.2f\n", ronde::bench::human_bytes(bytes).c_str(),
                  ronde::bench::human_seconds(m.stall).c_str(), ronde::bench::human_seconds(m.memcpy).c_str(),
                  ronde::bench::human_seconds(m.persist).c_str(), m.stall / m.memcpy, persist_gbps);
      std::fflush(stdout);
      if (csv) {
        csv->row("checkpoint", "async_save_stall", "ronde", ctx.size(), bytes, "seconds_median", m.stall);
        csv->row("checkpoint", "async_save_stall", "memcpy", ctx.size(), bytes, "seconds_median", m.memcpy);
        csv->row("checkpoint", "persist_file", "ronde", ctx.size(), bytes, "seconds_median", m.persist);
        csv->row("checkpoint", "persist_file", "ronde", ctx.size(), bytes, "GBps", persist_gbps);
      }
    }
    collectives.barrier();
    if (root) std::filesystem::remove_all(size_dir);
  }
  if (root && temporary) std::filesystem::remove_all(dir);
  if (csv && !csv->close()) return 1;
  return 0;
}
