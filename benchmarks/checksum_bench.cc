// Checksum throughput: XXH3-64 (the checksum of checkpoint shards) over 256 MiB in 8 MiB updates,
// the way shards are hashed while they stream, next to memcpy of the same bytes in the same run.
// Best of 5 each. Prints a table and, with --csv PATH, appends rows
// (bench,case,impl,ranks,bytes,metric,value). The checkpointer wants at least 5 GB/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/bench_csv.h"
#include "ronde/checkpoint/checksum.h"

namespace {

template <class F>
double best_seconds(F&& run) {
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
      csv_path = argv[++i];
    } else {
      std::fprintf(stderr, "usage: checksum_bench [--csv PATH]\n");
      return 2;
    }
  }
  constexpr std::size_t kBytes = 256u << 20;
  constexpr std::size_t kUpdate = 8u << 20;
  std::vector<std::byte> data(kBytes), copy(kBytes);
  for (std::size_t i = 0; i < kBytes; ++i) data[i] = static_cast<std::byte>((i * 2654435761u) >> 13);

  std::uint64_t digest = 0;
  const double hash_s = best_seconds([&] {
    ronde::checkpoint::Checksum sum;
    for (std::size_t offset = 0; offset < kBytes; offset += kUpdate) sum.update(std::span(data).subspan(offset, kUpdate));
    digest ^= sum.digest();
  });
  const double copy_s = best_seconds([&] { std::memcpy(copy.data(), data.data(), kBytes); });
  const double hash_gbps = kBytes / hash_s / 1e9, copy_gbps = kBytes / copy_s / 1e9;
  std::printf("%-10s %10s %10s\n", "impl", "GB/s", "vs memcpy");
  std::printf("%-10s %10.2f %9.2fx\n", "xxh3-64", hash_gbps, hash_gbps / copy_gbps);
  std::printf("%-10s %10.2f %9.2fx\n", "memcpy", copy_gbps, 1.0);
  std::printf("(digest bits %016llx, copy check %d)\n", static_cast<unsigned long long>(digest), copy[12345] == data[12345]);
  if (!csv_path.empty()) {
    auto csv = ronde::bench::CsvAppender::open(csv_path, "checksum_bench");
    if (!csv) return 1;
    csv->row("checksum", "stream_8MiB_updates", "ronde", 1, kBytes, "GBps", hash_gbps);
    csv->row("checksum", "stream_8MiB_updates", "memcpy", 1, kBytes, "GBps", copy_gbps);
    if (!csv->close()) return 1;
  }
  return 0;
}
