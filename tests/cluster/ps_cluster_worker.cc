// ps_cluster_worker: a parameter-server worker whose every pulled value is known in advance, for the
// tests across hosts (tests/cluster/ps_cluster_test.sh).
//
//   RONDE_PS_SERVERS=h1:7070,h2:7070 RONDE_PS_TLS=... mpirun -np W ps_cluster_worker --steps N
//
// The servers run in sync mode with `--aggregate sum --optimizer sum`: after step s a value is
// its initial value plus the sum over workers and steps <= s of their pushes. Worker w pushes, at
// step s, element i: (w + 1) * (s % 7 + 1) + i % 3 — small integers, exact in float32 — so the
// values pulled for step s + 1 must equal the expected sums exactly. A push applied twice or lost
// (a server killed and restarted in between, its clients replaying) shows as a wrong value, named
// with the step, element and both numbers; the worker then exits 1.
//
// Progress: after each step worker 0 writes the step to --progress-file (if given), so a test can
// act at a known point; --step-delay-ms slows the steps so that it has time to.
// mpirun is only the launcher: the worker id and count come from the rank and size.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ronde/core/error.h"
#include "ronde/ps/client.h"

namespace {

struct Flags {
  std::int64_t steps = 60;
  std::int64_t elements = 1 << 20;  // 4 MiB: two partitions at the default 2 MiB, spread over the servers
  int step_delay_ms = 0;
  std::string progress_file;
};

Flags parse(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--steps") flags.steps = std::stoll(value);
    else if (flag == "--elements") flags.elements = std::stoll(value);
    else if (flag == "--step-delay-ms") flags.step_delay_ms = std::stoi(value);
    else if (flag == "--progress-file") flags.progress_file = value;
    else throw ronde::Error(ronde::ErrorCode::InvalidArgument, "ps_cluster_worker: unknown flag " + flag);
  }
  if (argc % 2 == 0) throw ronde::Error(ronde::ErrorCode::InvalidArgument, "ps_cluster_worker: a flag without a value");
  return flags;
}

float pushed(std::uint32_t worker, std::int64_t step, std::int64_t element) {
  return static_cast<float>((worker + 1) * (step % 7 + 1) + element % 3);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Flags flags = parse(argc, argv);
    ronde::ps::Client client(ronde::ps::ClientOptions::from_env());
    const std::uint32_t me = client.options().worker, workers = client.options().workers;
    const auto count = static_cast<std::size_t>(flags.elements);

    std::vector<float> values(count, 0.0f), gradient(count);
    client.declare("cluster/w", ronde::Tensor::of(values)).get();
    // After a restart of the whole job the declare restores the step; start from there.
    std::vector<double> expected(count, 0.0);
    const std::int64_t first = client.step("cluster/w");
    for (std::int64_t s = 0; s < first; ++s) {
      for (std::size_t i = 0; i < count; ++i) {
        for (std::uint32_t w = 0; w < workers; ++w) expected[i] += pushed(w, s, static_cast<std::int64_t>(i));
      }
    }
    for (std::int64_t step = first; step < flags.steps; ++step) {
      for (std::size_t i = 0; i < count; ++i) gradient[i] = pushed(me, step, static_cast<std::int64_t>(i));
      client.push_pull("cluster/w", ronde::Tensor::of(gradient), ronde::Tensor::of(values)).get();
      for (std::size_t i = 0; i < count; ++i) {
        for (std::uint32_t w = 0; w < workers; ++w) expected[i] += pushed(w, step, static_cast<std::int64_t>(i));
        if (static_cast<double>(values[i]) != expected[i]) {
          std::fprintf(stderr, "ps_cluster_worker %u: after step %lld element %zu is %.1f, expected %.1f (a push "
                       "was lost or applied twice)\n", me, static_cast<long long>(step), i,
                       static_cast<double>(values[i]), expected[i]);
          return 1;
        }
      }
      if (me == 0 && !flags.progress_file.empty()) {
        std::ofstream(flags.progress_file + ".tmp") << step << "\n";
        std::rename((flags.progress_file + ".tmp").c_str(), flags.progress_file.c_str());
      }
      if (flags.step_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(flags.step_delay_ms));
    }
    std::printf("ps_cluster_worker %u of %u: %lld steps, every pulled value exact\n", me, workers,
                static_cast<long long>(flags.steps));
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ps_cluster_worker: %s\n", error.what());
    return 1;
  }
}
