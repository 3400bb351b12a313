// Checkpoint stall: how long an asynchronous save stops training, against a synchronous save and
// against the time to copy the same state once in memory (the least a consistent snapshot can
// cost); and the throughput of the background persist and of a restore. The state is `--tensors`
// float32 tensors of `size` bytes in all, saved through the Checkpointer under `--uri` (default a
// temporary local directory; s3:// works with the usual AWS/RONDE_S3 settings), median of `--iters`
// saves each.
//
//   build/benchmarks/checkpoint_bench [--sizes 64M,256M,1G] [--iters 5] [--tensors 16]
//                                     [--uri URI] [--csv PATH]
//   mpirun -np 2 build/benchmarks/checkpoint_bench ...     (each rank uploads ~1/N of the state)
//
// Reported per size (rank 0; times are the slowest rank's):
//   stall    maybe_save() returning (snapshot into host staging + handing the save to its thread)
//   sync     save(): the whole save, as a program without asynchronous saves would wait for it
//   memcpy   one memcpy of the whole state into another buffer
//   persist  maybe_save() until wait() returns (the commit: shards written, fsynced, manifest)
//   restore  restore_latest() of the checkpoint just written (verify every shard, then read)
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
  std::string uri;
  std::string csv;
};

constexpr const char* kUsage =
    "usage: checkpoint_bench [--sizes 64M,256M,1G] [--iters 5] [--tensors 16] [--uri URI] [--csv PATH]\n"
    "Measures the training stall of an asynchronous checkpoint save against a synchronous save and one\n"
    "memcpy of the state, and the persist and restore throughput, under URI (file:// or s3://;\n"
    "default: a temporary local directory).\n";

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
    } else if (name == "--uri") {
      options.uri = *value;
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
  double stall = 0, sync = 0, memcpy = 0, persist = 0, restore = 0;
};

Measured measure(ronde::Context& ctx, ronde::Collectives& collectives, const Options& options, std::size_t bytes,
                 const std::string& uri) {
  const std::size_t per_tensor = std::max<std::size_t>(bytes / options.tensors / sizeof(float), 1);
  std::vector<std::vector<float>> tensors(options.tensors, std::vector<float>(per_tensor));
  ronde::checkpoint::CheckpointState state;
  for (int t = 0; t < options.tensors; ++t) {
    for (std::size_t i = 0; i < per_tensor; ++i) tensors[t][i] = static_cast<float>((i * 7 + t) % 1000);
    state.add_replicated("layer" + std::to_string(t) + ".w", ronde::Tensor::of(tensors[t]));
  }
  ronde::checkpoint::Checkpointer checkpointer(
      ctx, uri, {.every_steps = 1, .keep_last = 1, .async = true, .watch_interruptions = false});

  std::vector<float> copy(per_tensor * options.tensors);
  std::vector<double> stalls, syncs, copies, persists, restores;
  for (int iter = 0; iter < options.iters; ++iter) {
    collectives.barrier();
    const auto start = std::chrono::steady_clock::now();
    checkpointer.maybe_save(2 * iter + 1, state);
    const double stall = seconds_since(start);
    checkpointer.wait();
    const double persist = seconds_since(start);
    stalls.push_back(slowest(collectives, stall));
    persists.push_back(slowest(collectives, persist));

    collectives.barrier();
    const auto sync_start = std::chrono::steady_clock::now();
    checkpointer.save(2 * iter + 2, state);
    syncs.push_back(slowest(collectives, seconds_since(sync_start)));

    collectives.barrier();
    const auto restore_start = std::chrono::steady_clock::now();
    checkpointer.restore_latest(state);  // the same values back into the same tensors
    restores.push_back(slowest(collectives, seconds_since(restore_start)));

    const auto copy_start = std::chrono::steady_clock::now();
    for (int t = 0; t < options.tensors; ++t) {
      std::memcpy(copy.data() + t * per_tensor, tensors[t].data(), per_tensor * sizeof(float));
    }
    copies.push_back(slowest(collectives, seconds_since(copy_start)));
  }
  return {ronde::bench::median(stalls), ronde::bench::median(syncs), ronde::bench::median(copies),
          ronde::bench::median(persists), ronde::bench::median(restores)};
}

// Removes every object under `uri` (the benchmark's own checkpoints).
void remove_everything_under(const std::string& uri) {
  auto storage = ronde::checkpoint::open_storage(uri);
  std::vector<std::string> keys;
  for (const auto& object : storage->list("")) keys.push_back(object.key);
  storage->remove_all(keys);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) return 2;
  ronde::Context ctx = ronde::init();
  ronde::Collectives collectives(ctx);
  const bool root = ctx.rank() == 0;

  // Every rank uses the same root (a shared file system or a bucket, as a checkpoint needs).
  const bool temporary = options.uri.empty();
  const std::string root_uri =
      temporary ? "file://" + (std::filesystem::temp_directory_path() / "ronde-checkpoint-bench").string() : options.uri;
  std::optional<ronde::bench::CsvAppender> csv;
  if (root && !options.csv.empty()) {
    if (auto opened = ronde::bench::CsvAppender::open(options.csv, "checkpoint_bench")) {
      csv.emplace(std::move(*opened));
    } else {
      return 1;
    }
  }
  const std::string where = root_uri.rfind("s3://", 0) == 0 ? "s3" : "file";

  if (root) {
    std::printf("checkpoint_bench: %d rank(s), %d tensors, %d saves per size, to %s\n", ctx.size(), options.tensors,
                options.iters, root_uri.c_str());
    std::printf("%10s %11s %11s %11s %9s %11s %11s %9s %9s\n", "state", "stall", "sync save", "memcpy", "stall/cp",
                "persist", "restore", "save GB/s", "rest GB/s");
  }
  for (const std::size_t bytes : options.sizes) {
    const std::string uri = root_uri + "/state-" + std::to_string(bytes);
    const Measured m = measure(ctx, collectives, options, bytes, uri);
    const double persist_gbps = static_cast<double>(bytes) / m.persist / 1e9;
    const double restore_gbps = static_cast<double>(bytes) / m.restore / 1e9;
    if (root) {
      std::printf("%10s %11s %11s %11s %8.2fx %11s %11s %9.2f %9.2f\n", ronde::bench::human_bytes(bytes).c_str(),
                  ronde::bench::human_seconds(m.stall).c_str(), ronde::bench::human_seconds(m.sync).c_str(),
                  ronde::bench::human_seconds(m.memcpy).c_str(), m.stall / m.memcpy,
                  ronde::bench::human_seconds(m.persist).c_str(), ronde::bench::human_seconds(m.restore).c_str(),
                  persist_gbps, restore_gbps);
      std::fflush(stdout);
      if (csv) {
        csv->row("checkpoint", "save_stall", "ronde_async", ctx.size(), bytes, "seconds_median", m.stall);
        csv->row("checkpoint", "save_stall", "ronde_sync", ctx.size(), bytes, "seconds_median", m.sync);
        csv->row("checkpoint", "save_stall", "memcpy", ctx.size(), bytes, "seconds_median", m.memcpy);
        csv->row("checkpoint", "persist_" + where, "ronde", ctx.size(), bytes, "GBps", persist_gbps);
        csv->row("checkpoint", "restore_" + where, "ronde", ctx.size(), bytes, "GBps", restore_gbps);
      }
    }
    collectives.barrier();
    if (root) remove_everything_under(uri);
  }
  if (root && temporary) std::filesystem::remove_all(root_uri.substr(std::string("file://").size()));
  if (csv && !csv->close()) return 1;
  return 0;
}
