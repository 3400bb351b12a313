// The Checkpointer on CUDA tensors: a state of CUDA tensors (replicated and per-rank, of sizes
// that split into several pieces) mixed with host tensors is saved asynchronously, changed on the
// device right after maybe_save returns (the snapshot must not see the change), restored into
// zeroed device memory, and compared with the values at the save, byte for byte; then a checkpoint
// saved from host tensors restores into CUDA tensors and back. One process, one rank.
// Exits 77 (CTest "skipped") without a GPU.
#include <cuda_runtime_api.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cuda_test_support.h"
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/context.h"
#include "ronde/core/cuda_info.h"

namespace {

using ronde::testing::DeviceArray;

ronde::testing::Expectations checks;

std::vector<float> values(std::size_t n, float seed) {
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = seed + static_cast<float>(i % 977) * 0.25f;
  return out;
}

ronde::checkpoint::CheckpointerOptions options() {
  ronde::checkpoint::CheckpointerOptions o;
  o.watch_interruptions = false;
  o.plan.min_split_bytes = 1 << 16;  // several pieces per tensor
  return o;
}

}  // namespace

int main() {
  if (!ronde::built_with_cuda() || ronde::cuda_device_count() == 0) {
    std::printf("no CUDA device: skipped\n");
    return 77;
  }
  const auto root = std::filesystem::temp_directory_path() / "ronde-checkpoint-cuda-test";
  std::filesystem::remove_all(root);
  const std::string uri = "file://" + root.string();
  ronde::Context ctx = ronde::init(ronde::InitOptions{.launcher = ronde::InitOptions::Launcher::Single});

  const std::size_t n = 3'000'001;
  const auto saved_w = values(n, 1.0f);
  const auto saved_pos = values(17, 5.0f);
  std::vector<double> host_b = {1.5, 2.5, 3.5};
  {
    DeviceArray<float> w(saved_w), pos(saved_pos);
    ronde::checkpoint::CheckpointState state;
    state.add_replicated("w", w.tensor({static_cast<std::int64_t>(n)}));
    state.add_replicated("b", ronde::Tensor::of(host_b));
    state.add_per_rank("pos", pos.tensor({17}));
    auto every_step = options();
    every_step.every_steps = 1;
    ronde::checkpoint::Checkpointer ck(ctx, uri, every_step);
    ck.maybe_save(1, state);               // returns once the snapshot is taken
    w.upload(values(n, 9.0f));             // so this change must not reach checkpoint 1
    ck.wait();
  }
  {
    DeviceArray<float> w(std::vector<float>(n, 0.0f)), pos(std::vector<float>(17, 0.0f));
    std::vector<double> b(3, 0.0);
    ronde::checkpoint::CheckpointState state;
    state.add_replicated("w", w.tensor({static_cast<std::int64_t>(n)}));
    state.add_replicated("b", ronde::Tensor::of(b));
    state.add_per_rank("pos", pos.tensor({17}));
    ronde::checkpoint::Checkpointer ck(ctx, uri, options());
    const auto step = ck.restore_latest(state);
    checks.expect(step == 1, "restore_latest returned step " + std::to_string(step.value_or(-1)) + ", expected 1");
    checks.expect(w.host() == saved_w, "CUDA tensor w differs from its values at the save");
    checks.expect(pos.host() == saved_pos, "per-rank CUDA tensor pos differs from its values at the save");
    checks.expect(b == host_b, "host tensor b differs from its values at the save");
  }
  std::filesystem::remove_all(root);
  if (checks.failures() == 0) std::printf("checkpoint of CUDA tensors: save, restore ok (%zu floats)\n", n);
  return checks.failures() == 0 ? 0 : 1;
}
