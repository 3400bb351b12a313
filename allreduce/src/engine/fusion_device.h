// The CUDA side of FusionBuffer (fusion_device.cc, compiled only when RONDE_HAVE_CUDA). Plain
// declarations: no CUDA header, so fusion_buffer.cc compiles the same in every build.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "engine/fusion_buffer.h"

namespace ronde::engine {

// Device memory for `bytes` on CUDA device `device`, reusing (and growing) `buffer`.
void* device_reserve(FusionBuffer::DevicePtr& buffer, int device, std::size_t bytes);
// Queue the packing / unpacking on `stream` (a cudaStream_t); unpack then waits for the stream.
void device_pack(const std::vector<FusedEntry>& entries, DType source, DType wire, void* packed, int device,
                 void* stream);
// Blocks until the work queued so far on `stream` is done (a CUDA collective's results are in place).
void device_wait(int device, void* stream);
void device_unpack(const std::vector<FusedEntry>& entries, DType source, DType wire, const void* packed, int device,
                   void* stream);

}  // namespace ronde::engine
