// The persistent buffer a fused (or compressed) allreduce runs in: the members' inputs are packed
// back to back, reduced by one collective, and unpacked into their outputs.
//
// Compression: with a 16-bit wire dtype and f32 tensors, packing rounds each value to f16/bf16
// (core's half.h conversions on the host, CUDA's on a device) and unpacking widens the result back.
// A member without input (a joined rank's share) is packed as zeros; one without output (the same)
// is not unpacked. Host buffers grow to the largest batch and stay; CUDA tensors use a device
// buffer on the members' device, packed and unpacked on CollectiveOptions::cuda_stream with
// cudaMemcpyAsync and cast kernels (CUDA builds only).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "ronde/core/dtype.h"
#include "ronde/core/tensor.h"

namespace ronde::engine {

struct FusedEntry {
  const void* input = nullptr;  // nullptr: contribute zeros
  void* output = nullptr;       // nullptr: discard the result
  std::size_t count = 0;        // elements
};

class FusionBuffer {
 public:
  explicit FusionBuffer(void* cuda_stream);
  ~FusionBuffer();
  FusionBuffer(const FusionBuffer&) = delete;
  FusionBuffer& operator=(const FusionBuffer&) = delete;

  // Packs the entries' inputs (of dtype `source`) as `wire` elements and returns a 1-D tensor of
  // the packed elements on `device`. `wire` is `source`, or F16/BF16 when `source` is F32.
  Tensor pack(const std::vector<FusedEntry>& entries, DType source, DType wire, const Device& device);
  // Copies (widening when compressed) the reduced `packed` tensor back into the outputs; for CUDA,
  // returns once the copies are done.
  void unpack(const std::vector<FusedEntry>& entries, DType source, const Tensor& packed);

  // The device side (defined by fusion_device.cc in CUDA builds).
  struct DeviceBuffer;
  struct DeviceBufferDeleter {
    void operator()(DeviceBuffer* buffer) const;
  };
  using DevicePtr = std::unique_ptr<DeviceBuffer, DeviceBufferDeleter>;

 private:
  void* cuda_stream_;
  std::vector<std::byte> host_;
  DevicePtr device_;
};

}  // namespace ronde::engine
