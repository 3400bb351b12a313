// FusionBuffer's CUDA side: a device buffer per FusionBuffer, members copied in and out with
// cudaMemcpyAsync (device-to-device), or cast by the collectives' f16/bf16 kernels when the
// allreduce is compressed. Compiled only in CUDA builds.
#include "engine/fusion_device.h"

#include <cuda_runtime_api.h>

#include "cuda/cuda_support.h"
#include "cuda/device_kernels.h"

namespace ronde::engine {

struct FusionBuffer::DeviceBuffer {
  explicit DeviceBuffer(int device_index) : device(device_index) {}
  int device;
  cuda::Buffer memory{cuda::Buffer::Kind::Device};
  std::size_t bytes = 0;
  void* data = nullptr;
};

void FusionBuffer::DeviceBufferDeleter::operator()(DeviceBuffer* buffer) const {
  cuda::DeviceGuard guard(buffer->device);  // free on the device it lives on
  delete buffer;
}

void* device_reserve(FusionBuffer::DevicePtr& buffer, int device, std::size_t bytes) {
  cuda::DeviceGuard guard(device);
  if (!buffer || buffer->device != device) {
    buffer.reset();
    buffer.reset(new FusionBuffer::DeviceBuffer(device));
  }
  if (!buffer->data || buffer->bytes < bytes) {
    buffer->data = buffer->memory.reserve(bytes == 0 ? 1 : bytes);
    buffer->bytes = bytes;
  }
  return buffer->data;
}

void device_pack(const std::vector<FusedEntry>& entries, DType source, DType wire, void* packed, int device,
                 void* stream_handle) {
  cuda::DeviceGuard guard(device);
  const auto stream = static_cast<cudaStream_t>(stream_handle);
  auto* out = static_cast<char*>(packed);
  const std::size_t source_size = dtype_size(source), wire_size = dtype_size(wire);
  for (const FusedEntry& entry : entries) {
    if (entry.count == 0) continue;
    if (!entry.input) {
      cuda::check(cudaMemsetAsync(out, 0, entry.count * wire_size, stream), "engine: zero a fusion buffer slot");
    } else if (wire == source) {
      cuda::check(cudaMemcpyAsync(out, entry.input, entry.count * source_size, cudaMemcpyDeviceToDevice, stream),
                  "engine: copy into the fusion buffer");
    } else {
      cuda::narrow_from_f32(static_cast<const float*>(entry.input), out, entry.count, wire == DType::BF16, stream);
    }
    out += entry.count * wire_size;
  }
}

void device_unpack(const std::vector<FusedEntry>& entries, DType source, DType wire, const void* packed, int device,
                   void* stream_handle) {
  cuda::DeviceGuard guard(device);
  const auto stream = static_cast<cudaStream_t>(stream_handle);
  const auto* in = static_cast<const char*>(packed);
  const std::size_t source_size = dtype_size(source), wire_size = dtype_size(wire);
  for (const FusedEntry& entry : entries) {
    if (entry.count == 0) continue;
    if (entry.output) {
      if (wire == source) {
        cuda::check(cudaMemcpyAsync(entry.output, in, entry.count * source_size, cudaMemcpyDeviceToDevice, stream),
                    "engine: copy out of the fusion buffer");
      } else {
        cuda::widen_to_f32(in, static_cast<float*>(entry.output), entry.count, wire == DType::BF16, stream);
      }
    }
    in += entry.count * wire_size;
  }
  // The handle completes when the results are in place.
  cuda::check(cudaStreamSynchronize(stream), "engine: wait for the fused allreduce");
}

void device_wait(int device, void* stream) {
  cuda::DeviceGuard guard(device);
  cuda::check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "engine: wait for a CUDA collective");
}

}  // namespace ronde::engine
