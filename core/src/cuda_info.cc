// What this build and this machine offer for CUDA; compiled in every build, answering "none"
// when ronde was configured without CUDA.
#include "ronde/core/cuda_info.h"

#if defined(RONDE_HAVE_CUDA)
#include <cuda_runtime_api.h>
#endif
#if defined(RONDE_HAVE_NCCL)
#include <nccl.h>
#endif

namespace ronde {

bool built_with_cuda() {
#if defined(RONDE_HAVE_CUDA)
  return true;
#else
  return false;
#endif
}

bool built_with_nccl() {
#if defined(RONDE_HAVE_NCCL)
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#if defined(RONDE_HAVE_CUDA)
  // Without a driver the call fails (cudaErrorInsufficientDriver) and leaves `count` unwritten.
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later CUDA calls are not affected
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

std::string nccl_version() {
#if defined(RONDE_HAVE_NCCL)
  int code = 0;
  if (ncclGetVersion(&code) != ncclSuccess) return "unknown";
  // NCCL >= 2.9 encodes major*10000 + minor*100 + patch.
  return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." + std::to_string(code % 100);
#else
  return "";
#endif
}

}  // namespace ronde
