// What this build of ronde and this machine offer for CUDA tensors.
#pragma once

#include <string>

namespace ronde {

bool built_with_cuda();   // configured with RONDE_WITH_CUDA=AUTO/ON and nvcc found
bool built_with_nccl();   // ... and NCCL found
// Visible CUDA devices; 0 when ronde was built without CUDA or there is no usable driver/GPU.
int cuda_device_count();
// "2.28.3", or "" when built without NCCL.
std::string nccl_version();

}  // namespace ronde
