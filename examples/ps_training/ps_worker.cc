// ps_worker: one worker of the digits model trained through ronde's parameter servers.
//
//   RONDE_PS_SERVERS=127.0.0.1:7070,127.0.0.1:7071 mpirun -np 3 ps_worker [--steps 600]
//
// The servers hold the model and apply the optimizer (sync mode: a step is applied once every
// worker pushed it, with the mean of the workers' gradients). Each worker, every step: computes
// the gradients of its share of the step's batch (the same rows an allreduce job would give that
// rank), pushes them and pulls the parameters of the next step (push_pull). Worker 0's initial
// parameters are the model's (declare). mpirun is only the launcher here: the worker's id and the
// worker count come from its rank and size (or RONDE_PS_WORKER / RONDE_PS_WORKERS); no MPI
// collective is used. Every connection setting comes from the RONDE_PS_* variables (servers, TLS
// files, token file: docs/PARAMETER_SERVER.md).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "digits_data.h"
#include "mlp.h"
#include "ronde/core/error.h"
#include "ronde/ps/client.h"

namespace {

struct Flags {
  std::string data = digits::kDefaultDataPath;
  std::int64_t steps = 600;
  int global_batch = 96;
  int hidden = 64;
  std::uint64_t seed = 1;
  std::int64_t log_every = 100;
};

constexpr const char* kUsage = R"(usage: [RONDE_PS_* variables] mpirun -np N ps_worker [flags]

Trains the digits MLP through ronde's parameter servers (started beforehand with ronde-ps-server).
  --data PATH       digits.csv.gz (default: python3-sklearn's copy)
  --steps N         training steps (default 600)
  --batch N         global batch over all workers (default 96)
  --hidden N        hidden units (default 64)
  --seed N          initial weights and data order (default 1)
  --log-every N     progress line every N steps on worker 0 (default 100)
  --help            this text
Servers, TLS and token come from RONDE_PS_SERVERS, RONDE_PS_TLS, RONDE_PS_CA, RONDE_PS_CERT,
RONDE_PS_KEY, RONDE_PS_TOKEN_FILE (docs/PARAMETER_SERVER.md).
)";

Flags parse_flags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) throw ronde::Error(ronde::ErrorCode::InvalidArgument, flag + " needs a value (try --help)");
    const std::string value = argv[++i];
    if (flag == "--data") flags.data = value;
    else if (flag == "--steps") flags.steps = std::stoll(value);
    else if (flag == "--batch") flags.global_batch = std::stoi(value);
    else if (flag == "--hidden") flags.hidden = std::stoi(value);
    else if (flag == "--seed") flags.seed = std::stoull(value);
    else if (flag == "--log-every") flags.log_every = std::stoll(value);
    else throw ronde::Error(ronde::ErrorCode::InvalidArgument, "unknown flag " + flag + " (try --help)");
  }
  return flags;
}

// Waits for every future, then rethrows the first error.
void wait_all(std::vector<std::future<void>>& futures) {
  std::exception_ptr first;
  for (auto& future : futures) {
    try {
      future.get();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  futures.clear();
  if (first) std::rethrow_exception(first);
}

int train(const Flags& flags) {
  ronde::ps::Client ps(ronde::ps::ClientOptions::from_env());
  const auto& options = ps.options();
  const bool root = options.worker == 0;
  const auto split = digits::split_every_fifth(digits::load_digits(flags.data));
  digits::Mlp model(flags.hidden, flags.seed);
  auto parameters = model.parameters();

  std::vector<std::future<void>> pending;
  for (auto& parameter : parameters) pending.push_back(ps.declare(parameter.name, parameter.value));
  wait_all(pending);
  const std::int64_t start = ps.step(parameters.front().name);
  if (root) {
    std::printf("ps_worker: %u workers, %zu servers (%s), step %lld of %lld\n", options.workers,
                options.servers.size(), std::string(ronde::ps::to_string(options.tls.mode)).c_str(),
                static_cast<long long>(start), static_cast<long long>(flags.steps));
  }

  digits::SampleOrder order(split.train.rows(), flags.seed);
  const auto began = std::chrono::steady_clock::now();
  for (std::int64_t step = start; step < flags.steps; ++step) {
    const auto rows = order.rows_for_step(step, flags.global_batch, static_cast<int>(options.worker),
                                          static_cast<int>(options.workers));
    // The mean over this worker's rows; the servers average the workers' means (equal shares).
    const auto stats = model.train_batch(split.train, rows, 1.0f / static_cast<float>(rows.size()), [](std::string_view) {});
    for (auto& parameter : parameters) pending.push_back(ps.push_pull(parameter.name, parameter.grad, parameter.value));
    wait_all(pending);
    const std::int64_t done = step + 1;
    if (root && flags.log_every > 0 && done % flags.log_every == 0) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      std::printf("step %lld/%lld  loss %.4f  batch accuracy %5.1f%%  %.0f samples/s\n", static_cast<long long>(done),
                  static_cast<long long>(flags.steps), stats.loss_sum / static_cast<double>(stats.rows),
                  100.0 * static_cast<double>(stats.correct) / static_cast<double>(stats.rows),
                  static_cast<double>((done - start) * flags.global_batch) / seconds);
      std::fflush(stdout);
    }
  }
  if (root) std::printf("test accuracy %.4f after %lld steps\n", digits::accuracy(model, split.test), static_cast<long long>(flags.steps));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return train(parse_flags(argc, argv));
  } catch (const std::exception& error) {
    std::cerr << "ps_worker: " << error.what() << "\n";
    return 1;
  }
}
