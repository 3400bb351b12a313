// Collectives on CUDA tensors without NCCL (RONDE_GPU_OPERATIONS=MPI): copy to page-locked host
// memory, run the host algorithms over MPI, copy back. f16/bf16 allreduces are widened to f32 on
// the device first, so the whole reduction accumulates in f32 and rounds once at the end. Lets
// several processes share one GPU, and runs where NCCL cannot.
#include <cstring>
#include <vector>

#include "cuda/cuda_support.h"
#include "cuda/device_kernels.h"
#include "device_collectives.h"
#include "ronde/core/error.h"

namespace ronde {

namespace {

class StagedCollectives final : public DeviceCollectives {
 public:
  StagedCollectives(Context& context, const CollectiveOptions& options, int device)
      : host_(context, without_agreement(options)), device_(device),
        caller_(static_cast<cudaStream_t>(options.cuda_stream)), order_(device) {}

  void allreduce(const Tensor& input, const Tensor& output, ReduceOp op, const AllreduceScale& scale) override {
    Staging run(*this);
    const auto count = static_cast<std::size_t>(input.numel());
    const bool narrow = input.dtype() == DType::F16 || input.dtype() == DType::BF16;
    const bool bf16 = input.dtype() == DType::BF16;
    if (narrow) {  // reduce in f32: widen on the device, stage f32
      auto* wide = static_cast<float*>(device_wide_.reserve(count * sizeof(float)));
      cuda::widen_to_f32(input.data(), wide, count, bf16, stream());
      void* host = download(wide, count * sizeof(float), staging_in_);
      host_.allreduce(Tensor(host, DType::F32, {static_cast<std::int64_t>(count)}), op, scale);
      upload(wide, host, count * sizeof(float));
      cuda::narrow_from_f32(wide, output.data(), count, bf16, stream());
      return;
    }
    void* host = download(input.data(), input.nbytes(), staging_in_);
    host_.allreduce(Tensor(host, input.dtype(), input.shape()), op, scale);
    upload(output.data(), host, output.nbytes());
  }

  void broadcast(const Tensor& tensor, int root) override {
    Staging run(*this);
    void* host = download(tensor.data(), tensor.nbytes(), staging_in_);
    host_.broadcast(Tensor(host, tensor.dtype(), tensor.shape()), root);
    upload(tensor.data(), host, tensor.nbytes());
  }

  void allgather(const Tensor& input, std::span<const std::int64_t>, const Tensor& output) override {
    Staging run(*this);
    void* host_in = download(input.data(), input.nbytes(), staging_in_);
    void* host_out = staging_out_.reserve(output.nbytes());
    host_.allgather(Tensor(host_in, input.dtype(), input.shape()), Tensor(host_out, output.dtype(), output.shape()));
    upload(output.data(), host_out, output.nbytes());
  }

  void reducescatter(const Tensor& input, std::span<const std::int64_t> rows, const Tensor& output, ReduceOp op) override {
    Staging run(*this);
    void* host_in = download(input.data(), input.nbytes(), staging_in_);
    void* host_out = staging_out_.reserve(output.nbytes());
    host_.reducescatter(Tensor(host_in, input.dtype(), input.shape()), Tensor(host_out, output.dtype(), output.shape()), op,
                        rows);
    upload(output.data(), host_out, output.nbytes());
  }

  void alltoall(const Tensor& input, std::span<const std::int64_t> send_rows, std::span<const std::int64_t>,
                const Tensor& output) override {
    Staging run(*this);
    void* host_in = download(input.data(), input.nbytes(), staging_in_);
    void* host_out = staging_out_.reserve(output.nbytes());
    host_.alltoall(Tensor(host_in, input.dtype(), input.shape()), send_rows,
                   [&](const std::vector<std::int64_t>& shape) { return Tensor(host_out, output.dtype(), shape); });
    upload(output.data(), host_out, output.nbytes());
  }

 private:
  // The caller already ran the agreement check; the host calls need not repeat it.
  static CollectiveOptions without_agreement(CollectiveOptions options) {
    options.verify_arguments = false;
    return options;
  }

  // One staged collective: waits for the caller's stream; at the end makes the caller's stream
  // wait for the upload and waits for it on the host, so the staging buffers can be reused.
  class Staging {
   public:
    explicit Staging(StagedCollectives& backend) : backend_(backend), guard_(backend.device_) {
      backend_.order_.after(backend_.caller_);
    }
    ~Staging() noexcept(false) {
      if (std::uncaught_exceptions() > 0) {
        cudaStreamSynchronize(backend_.stream());
        return;
      }
      backend_.order_.before(backend_.caller_);
      cuda::check(cudaStreamSynchronize(backend_.stream()), "staged collective: synchronize");
    }

   private:
    StagedCollectives& backend_;
    cuda::DeviceGuard guard_;
  };

  // Device -> a staging buffer; returns the host copy once it has arrived.
  void* download(const void* device_data, std::size_t bytes, cuda::Buffer& staging) {
    void* host = staging.reserve(bytes);
    cuda::check(cudaMemcpyAsync(host, device_data, bytes, cudaMemcpyDeviceToHost, stream()), "staging copy to the host");
    cuda::check(cudaStreamSynchronize(stream()), "staging copy to the host");
    return host;
  }

  void upload(void* device_data, const void* host, std::size_t bytes) {
    cuda::check(cudaMemcpyAsync(device_data, host, bytes, cudaMemcpyHostToDevice, stream()), "staging copy to the device");
  }

  cudaStream_t stream() const { return order_.stream(); }

  Collectives host_;
  int device_;
  cudaStream_t caller_;
  cuda::StreamOrder order_;
  cuda::Buffer staging_in_{cuda::Buffer::Kind::PinnedHost};
  cuda::Buffer staging_out_{cuda::Buffer::Kind::PinnedHost};
  cuda::Buffer device_wide_{cuda::Buffer::Kind::Device};
};

}  // namespace

std::unique_ptr<DeviceCollectives> make_staged_collectives(Context& context, const CollectiveOptions& options, int device) {
  return std::make_unique<StagedCollectives>(context, options, device);
}

}  // namespace ronde
