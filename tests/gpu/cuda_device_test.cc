// GPU smoke test: this build sees the CUDA driver and NCCL. Exits 77 (CTest "skipped") when ronde
// was built without CUDA or no GPU is visible, so machines without one report a skip, not a pass.
#include <cstdio>

#include "ronde/core/cuda_info.h"

int main() {
  if (!ronde::built_with_cuda()) {
    std::printf("SKIP: ronde was built without CUDA (RONDE_WITH_CUDA=OFF or no nvcc)\n");
    return 77;
  }
  const int devices = ronde::cuda_device_count();
  if (devices == 0) {
    std::printf("SKIP: no CUDA device visible\n");
    return 77;
  }
  std::printf("CUDA devices: %d, NCCL: %s\n", devices,
              ronde::built_with_nccl() ? ronde::nccl_version().c_str() : "not built");
  if (ronde::built_with_nccl() && ronde::nccl_version().empty()) {
    std::printf("FAIL: built with NCCL but ncclGetVersion failed\n");
    return 1;
  }
  return 0;
}
