#include "device_collectives.h"

#include <string>

#include "ronde/core/error.h"

namespace ronde {

#if defined(RONDE_HAVE_CUDA)
std::unique_ptr<DeviceCollectives> make_staged_collectives(Context& context, const CollectiveOptions& options, int device);
#endif
#if defined(RONDE_HAVE_NCCL)
std::unique_ptr<DeviceCollectives> make_nccl_collectives(Context& context, const CollectiveOptions& options, int device);
#endif

std::unique_ptr<DeviceCollectives> make_device_collectives(Context& context, const CollectiveOptions& options,
                                                           GpuOperations operations, int device) {
#if defined(RONDE_HAVE_NCCL)
  if (operations == GpuOperations::Nccl) return make_nccl_collectives(context, options, device);
#endif
#if defined(RONDE_HAVE_CUDA)
  if (operations == GpuOperations::Mpi) return make_staged_collectives(context, options, device);
  throw Error(ErrorCode::InvalidArgument,
              "a tensor on cuda:" + std::to_string(device) + " with RONDE_GPU_OPERATIONS=NCCL needs NCCL, and this ronde "
              "was built without it; set RONDE_GPU_OPERATIONS=MPI to stage through host memory");
#else
  (void)context, (void)options, (void)operations;
  throw Error(ErrorCode::InvalidArgument, "a tensor on cuda:" + std::to_string(device) +
                                              " reached the collectives, but this ronde was built without CUDA "
                                              "(RONDE_WITH_CUDA)");
#endif
}

}  // namespace ronde
