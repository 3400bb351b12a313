// Collectives on CUDA tensors with NCCL: one communicator and one stream per device, the NCCL
// unique id sent from rank 0 over the host transport. Average is ncclAvg for floating types and a
// sum followed by a division kernel for integers; scale factors are device kernels; uneven
// allgather/reducescatter are grouped broadcasts/reduces; alltoall is grouped send/recv.
#include <nccl.h>

#include <numeric>
#include <string>
#include <vector>

#include "cuda/cuda_support.h"
#include "cuda/device_kernels.h"
#include "device_collectives.h"
#include "pipelined_broadcast.h"
#include "ronde/core/error.h"

namespace ronde {

namespace {

void check_nccl(ncclResult_t result, const char* what) {
  if (result != ncclSuccess) {
    throw Error(ErrorCode::Internal, std::string(what) + ": " + ncclGetErrorString(result));
  }
}

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::F16: return ncclFloat16;
    case DType::BF16: return ncclBfloat16;
    case DType::F32: return ncclFloat32;
    case DType::F64: return ncclFloat64;
    case DType::I32: return ncclInt32;
    case DType::I64: return ncclInt64;
    case DType::U8: return ncclUint8;
  }
  throw Error(ErrorCode::InvalidArgument, "NCCL: unknown dtype");
}

cuda::FloatKind float_kind(DType dtype) {
  switch (dtype) {
    case DType::F16: return cuda::FloatKind::F16;
    case DType::BF16: return cuda::FloatKind::BF16;
    case DType::F64: return cuda::FloatKind::F64;
    default: return cuda::FloatKind::F32;
  }
}

std::vector<std::size_t> row_offsets(std::span<const std::int64_t> rows, std::size_t row_bytes) {
  std::vector<std::size_t> offsets(rows.size() + 1, 0);
  for (std::size_t r = 0; r < rows.size(); ++r) offsets[r + 1] = offsets[r] + static_cast<std::size_t>(rows[r]) * row_bytes;
  return offsets;
}

std::size_t row_bytes_of(const Tensor& tensor) {
  std::size_t elements = 1;
  for (std::size_t d = 1; d < tensor.shape().size(); ++d) elements *= static_cast<std::size_t>(tensor.shape()[d]);
  return elements * dtype_size(tensor.dtype());
}

class NcclCollectives final : public DeviceCollectives {
 public:
  NcclCollectives(Context& context, const CollectiveOptions& options, int device)
      : context_(context), device_(device), caller_(static_cast<cudaStream_t>(options.cuda_stream)), order_(device) {
    // Rank 0 makes the id; everyone receives it over the host transport.
    ncclUniqueId id{};
    if (context.rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    pipelined_broadcast(context.transport(), &id, sizeof(id), 0, RingOptions{});
    cuda::DeviceGuard guard(device_);
    check_nccl(ncclCommInitRank(&comm_, context.size(), id, context.rank()), "ncclCommInitRank");
  }

  ~NcclCollectives() override {
    if (comm_ != nullptr) ncclCommDestroy(comm_);
  }

  void allreduce(const Tensor& input, const Tensor& output, ReduceOp op, const AllreduceScale& scale) override {
    Enqueue run(*this);
    const auto count = static_cast<std::size_t>(input.numel());
    const void* source = input.data();
    if (scale.prescale != 1.0) {
      if (output.data() != input.data()) {
        cuda::check(cudaMemcpyAsync(output.data(), input.data(), input.nbytes(), cudaMemcpyDeviceToDevice, stream()),
                    "prescale copy");
      }
      cuda::scale(output.data(), count, float_kind(input.dtype()), scale.prescale, stream());
      source = output.data();
    }
    const bool integer_average = op == ReduceOp::Average && !is_floating_point(input.dtype());
    check_nccl(ncclAllReduce(source, output.data(), count, nccl_type(input.dtype()), nccl_op(integer_average ? ReduceOp::Sum : op),
                             comm_, stream()),
               "ncclAllReduce");
    if (integer_average) {
      cuda::divide_integers(output.data(), count, input.dtype() == DType::I64, context_.size(), stream());
    }
    if (scale.postscale != 1.0) cuda::scale(output.data(), count, float_kind(output.dtype()), scale.postscale, stream());
  }

  void broadcast(const Tensor& tensor, int root) override {
    Enqueue run(*this);
    check_nccl(ncclBroadcast(tensor.data(), tensor.data(), tensor.nbytes(), ncclUint8, root, comm_, stream()),
               "ncclBroadcast");
  }

  void allgather(const Tensor& input, std::span<const std::int64_t> first_dims, const Tensor& output) override {
    Enqueue run(*this);
    const std::size_t row = row_bytes_of(input);
    const auto offsets = row_offsets(first_dims, row);
    auto* out = static_cast<char*>(output.data());
    if (std::all_of(first_dims.begin(), first_dims.end(), [&](std::int64_t d) { return d == first_dims[0]; })) {
      check_nccl(ncclAllGather(input.data(), out, input.nbytes(), ncclUint8, comm_, stream()), "ncclAllGather");
      return;
    }
    // Uneven: every rank broadcasts its rows into their place in everyone's output.
    check_nccl(ncclGroupStart(), "ncclGroupStart");
    for (int r = 0; r < context_.size(); ++r) {
      const auto index = static_cast<std::size_t>(r);
      const void* send = r == context_.rank() ? input.data() : out + offsets[index];
      check_nccl(ncclBroadcast(send, out + offsets[index], offsets[index + 1] - offsets[index], ncclUint8, r, comm_, stream()),
                 "ncclBroadcast (allgather)");
    }
    check_nccl(ncclGroupEnd(), "ncclGroupEnd");
  }

  void reducescatter(const Tensor& input, std::span<const std::int64_t> rows, const Tensor& output, ReduceOp op) override {
    Enqueue run(*this);
    const std::size_t element = dtype_size(input.dtype());
    const std::size_t row_elements = row_bytes_of(input) / element;
    const bool integer_average = op == ReduceOp::Average && !is_floating_point(input.dtype());
    const ncclRedOp_t reduction = nccl_op(integer_average ? ReduceOp::Sum : op);
    const auto* in = static_cast<const char*>(input.data());
    if (std::all_of(rows.begin(), rows.end(), [&](std::int64_t d) { return d == rows[0]; })) {
      check_nccl(ncclReduceScatter(in, output.data(), static_cast<std::size_t>(rows[0]) * row_elements,
                                   nccl_type(input.dtype()), reduction, comm_, stream()),
                 "ncclReduceScatter");
    } else {  // uneven: a reduce to each rank of its rows
      std::size_t offset = 0;
      check_nccl(ncclGroupStart(), "ncclGroupStart");
      for (int r = 0; r < context_.size(); ++r) {
        const std::size_t count = static_cast<std::size_t>(rows[static_cast<std::size_t>(r)]) * row_elements;
        check_nccl(ncclReduce(in + offset * element, output.data(), count, nccl_type(input.dtype()), reduction, r, comm_,
                              stream()),
                   "ncclReduce (reducescatter)");
        offset += count;
      }
      check_nccl(ncclGroupEnd(), "ncclGroupEnd");
    }
    if (integer_average) {
      cuda::divide_integers(output.data(), static_cast<std::size_t>(output.numel()), input.dtype() == DType::I64,
                            context_.size(), stream());
    }
  }

  void alltoall(const Tensor& input, std::span<const std::int64_t> send_rows, std::span<const std::int64_t> recv_rows,
                const Tensor& output) override {
    Enqueue run(*this);
    const std::size_t row = row_bytes_of(input);
    const auto send = row_offsets(send_rows, row), recv = row_offsets(recv_rows, row);
    const auto* in = static_cast<const char*>(input.data());
    auto* out = static_cast<char*>(output.data());
    check_nccl(ncclGroupStart(), "ncclGroupStart");
    for (int peer = 0; peer < context_.size(); ++peer) {
      const auto p = static_cast<std::size_t>(peer);
      if (send[p + 1] > send[p]) check_nccl(ncclSend(in + send[p], send[p + 1] - send[p], ncclUint8, peer, comm_, stream()), "ncclSend");
      if (recv[p + 1] > recv[p]) check_nccl(ncclRecv(out + recv[p], recv[p + 1] - recv[p], ncclUint8, peer, comm_, stream()), "ncclRecv");
    }
    check_nccl(ncclGroupEnd(), "ncclGroupEnd");
  }

 private:
  // Orders one collective between the caller's stream and the backend's: the constructor makes
  // the backend wait for the caller; the destructor makes the caller wait for the backend.
  class Enqueue {
   public:
    explicit Enqueue(NcclCollectives& backend) : backend_(backend), guard_(backend.device_) {
      backend_.order_.after(backend_.caller_);
    }
    ~Enqueue() noexcept(false) {
      if (std::uncaught_exceptions() == 0) backend_.order_.before(backend_.caller_);
    }

   private:
    NcclCollectives& backend_;
    cuda::DeviceGuard guard_;
  };

  static ncclRedOp_t nccl_op(ReduceOp op) {
    switch (op) {
      case ReduceOp::Sum: return ncclSum;
      case ReduceOp::Average: return ncclAvg;
      case ReduceOp::Min: return ncclMin;
      case ReduceOp::Max: return ncclMax;
      case ReduceOp::Product: return ncclProd;
    }
    return ncclSum;
  }

  cudaStream_t stream() const { return order_.stream(); }

  Context& context_;
  int device_;
  cudaStream_t caller_;
  cuda::StreamOrder order_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

std::unique_ptr<DeviceCollectives> make_nccl_collectives(Context& context, const CollectiveOptions& options, int device) {
  return std::make_unique<NcclCollectives>(context, options, device);
}

}  // namespace ronde
