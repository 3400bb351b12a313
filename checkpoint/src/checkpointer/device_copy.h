// Copies between host staging memory and the tensors of a CheckpointState, wherever they live.
//
// CPU tensors are copied with memcpy. CUDA tensors (in builds with CUDA) are copied with
// cudaMemcpyAsync on a stream the copier creates for each device it meets. That stream is an
// ordinary (blocking) stream: each copy starts after work already queued on the device's legacy
// default stream, and runs alongside the program's own non-blocking streams, whose writes to the
// tensors the program must therefore have completed (synchronised) before it saves. finish()
// waits for every copy issued, so a snapshot is complete, and a restore visible on the device,
// when it returns. Host staging is ordinary pageable memory (the driver stages it).
//
// In builds without CUDA, a CUDA tensor is Error(InvalidArgument) saying so.
#pragma once

#include <cstddef>
#include <memory>

#include "ronde/core/tensor.h"

namespace ronde::checkpoint::detail {

class DeviceCopier {
 public:
  DeviceCopier();
  ~DeviceCopier();  // waits for copies in flight (errors ignored: finish() reports them)
  DeviceCopier(const DeviceCopier&) = delete;
  DeviceCopier& operator=(const DeviceCopier&) = delete;

  // `bytes` bytes of `source` starting at byte `source_offset`, into `destination` (host).
  void to_host(std::byte* destination, const Tensor& source, std::size_t source_offset, std::size_t bytes);
  // `bytes` host bytes at `source` into `destination` starting at byte `destination_offset`.
  void to_tensor(const Tensor& destination, std::size_t destination_offset, const std::byte* source,
                 std::size_t bytes);
  // Waits for every copy issued; Error(Internal) naming the CUDA error if one failed.
  void finish();

  // Whether this build can copy CUDA tensors.
  static bool supports_cuda();

 private:
  struct Streams;
  std::unique_ptr<Streams> streams_;
};

}  // namespace ronde::checkpoint::detail
