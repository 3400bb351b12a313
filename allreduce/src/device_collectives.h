// The data movement of collectives on CUDA tensors (internal to allreduce). Collectives checks
// the arguments, runs the agreement check and exchanges sizes on the host; a DeviceCollectives
// then moves the bytes, either with NCCL or by staging through pinned host memory and running the
// host algorithms (RONDE_GPU_OPERATIONS=MPI).
//
// Stream semantics: the work waits for everything already queued on the caller's stream
// (CollectiveOptions::cuda_stream; null means the legacy default stream) and the caller's stream
// waits for the work, so kernels the caller queues afterwards see the results. The host is not
// blocked by the NCCL path; the staged path returns once the data is back on the device.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "ronde/allreduce/collectives.h"

namespace ronde {

class DeviceCollectives {
 public:
  virtual ~DeviceCollectives() = default;
  virtual void allreduce(const Tensor& input, const Tensor& output, ReduceOp op, const AllreduceScale& scale) = 0;
  virtual void broadcast(const Tensor& tensor, int root) = 0;
  // first_dims[r]: rows rank r contributes; output already sized.
  virtual void allgather(const Tensor& input, std::span<const std::int64_t> first_dims, const Tensor& output) = 0;
  // rows[r]: rows of the result rank r keeps.
  virtual void reducescatter(const Tensor& input, std::span<const std::int64_t> rows, const Tensor& output,
                             ReduceOp op) = 0;
  virtual void alltoall(const Tensor& input, std::span<const std::int64_t> send_rows,
                        std::span<const std::int64_t> recv_rows, const Tensor& output) = 0;
};

// The backend for CUDA tensors on `device` (`operations` is Nccl or Mpi, not Auto). Throws
// Error(InvalidArgument) when ronde was built without CUDA (or without NCCL and it is Nccl).
std::unique_ptr<DeviceCollectives> make_device_collectives(Context& context, const CollectiveOptions& options,
                                                           GpuOperations operations, int device);

}  // namespace ronde
