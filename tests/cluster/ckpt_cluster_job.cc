// ckpt_cluster_job: the Checkpointer across hosts, for tests/cluster/checkpointer_cluster_test.sh.
//
//   mpirun ckpt_cluster_job save URI STEPS       asynchronous saves every 2 steps (keep the last 2)
//   mpirun ckpt_cluster_job restore URI STEP     restore the latest; it must be STEP, every value exact
//   mpirun ckpt_cluster_job restore-replicated URI STEP
//                                                the same with only the replicated tensors registered
//                                                (a job restoring at another world size)
//
// The state: "model" (replicated, 3 MiB of float32, so every rank uploads a share of it) and
// "rank/position" (per rank). At step s, model[i] = s * 1000 + i % 997 and position[j] =
// rank * 100000 + s * 10 + j: every value is known, so a restore that mixed steps, ranks or
// checkpoints is found, naming the tensor, rank and element. Exit 0 when everything checks.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/context.h"
#include "ronde/core/error.h"

namespace {

constexpr std::size_t kModel = 3 << 18;  // 786432 float32 = 3 MiB
constexpr std::size_t kPosition = 16;

void fill(std::vector<float>& model, std::vector<std::int64_t>& position, int rank, std::int64_t step) {
  for (std::size_t i = 0; i < model.size(); ++i) model[i] = static_cast<float>(step * 1000 + static_cast<std::int64_t>(i % 997));
  for (std::size_t j = 0; j < position.size(); ++j) position[j] = rank * 100000 + step * 10 + static_cast<std::int64_t>(j);
}

int fail(ronde::Context& context, const std::string& what) {
  std::fprintf(stderr, "ckpt_cluster_job: %s: %s\n", context.topology().rank_name(context.rank()).c_str(), what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ckpt_cluster_job save|restore|restore-replicated URI STEP(S)\n");
    return 2;
  }
  const std::string mode = argv[1], uri = argv[2];
  const std::int64_t number = std::atoll(argv[3]);
  ronde::Context context = ronde::init();
  const int rank = context.rank();
  try {
    std::vector<float> model(kModel);
    std::vector<std::int64_t> position(kPosition);
    ronde::checkpoint::CheckpointState state;
    state.add_replicated("model", ronde::Tensor::of(model));
    if (mode != "restore-replicated") state.add_per_rank("rank/position", ronde::Tensor::of(position));
    ronde::checkpoint::CheckpointerOptions options;
    options.every_steps = 2;
    options.keep_last = 2;
    ronde::checkpoint::Checkpointer checkpointer(context, uri, options);

    if (mode == "save") {
      if (checkpointer.restore_latest(state)) return fail(context, "the storage already holds a checkpoint");
      for (std::int64_t step = 1; step <= number; ++step) {
        fill(model, position, rank, step);
        checkpointer.maybe_save(step, state);
      }
      checkpointer.wait();
      if (rank == 0) std::printf("ckpt_cluster_job: %d ranks saved steps 2..%lld to %s\n", context.size(), static_cast<long long>(number), uri.c_str());
      return 0;
    }
    if (mode != "restore" && mode != "restore-replicated") return fail(context, "unknown mode " + mode);
    const std::optional<std::int64_t> restored = checkpointer.restore_latest(state);
    if (restored != number) {
      return fail(context, "restored step " + (restored ? std::to_string(*restored) : std::string("none")) +
                               ", expected " + std::to_string(number));
    }
    std::vector<float> expected_model(kModel);
    std::vector<std::int64_t> expected_position(kPosition);
    fill(expected_model, expected_position, rank, number);
    for (std::size_t i = 0; i < kModel; ++i) {
      if (model[i] != expected_model[i]) {
        return fail(context, "model[" + std::to_string(i) + "] is " + std::to_string(model[i]) + ", expected " +
                                 std::to_string(expected_model[i]));
      }
    }
    if (mode == "restore" && position != expected_position) return fail(context, "rank/position is not this rank's at the step");
    if (rank == 0) std::printf("ckpt_cluster_job: %d ranks restored step %lld from %s, every value exact\n", context.size(), static_cast<long long>(number), uri.c_str());
    return 0;
  } catch (const ronde::Error& error) {
    return fail(context, error.what());
  }
}
