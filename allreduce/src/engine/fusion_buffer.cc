#include "engine/fusion_buffer.h"

#include <cstring>
#include <string>

#include "engine/fusion_device.h"
#include "ronde/core/error.h"
#include "ronde/core/half.h"

namespace ronde::engine {

namespace {

std::size_t total_elements(const std::vector<FusedEntry>& entries) {
  std::size_t count = 0;
  for (const FusedEntry& entry : entries) count += entry.count;
  return count;
}

void narrow(const float* in, std::byte* out, std::size_t count, DType wire) {
  if (wire == DType::F16) {
    auto* half = reinterpret_cast<Half*>(out);
    for (std::size_t i = 0; i < count; ++i) half[i] = float_to_half(in[i]);
  } else {
    auto* bf = reinterpret_cast<BFloat16*>(out);
    for (std::size_t i = 0; i < count; ++i) bf[i] = float_to_bfloat16(in[i]);
  }
}

void widen(const std::byte* in, float* out, std::size_t count, DType wire) {
  if (wire == DType::F16) {
    const auto* half = reinterpret_cast<const Half*>(in);
    for (std::size_t i = 0; i < count; ++i) out[i] = half_to_float(half[i]);
  } else {
    const auto* bf = reinterpret_cast<const BFloat16*>(in);
    for (std::size_t i = 0; i < count; ++i) out[i] = bfloat16_to_float(bf[i]);
  }
}

void check_wire(DType source, DType wire) {
  if (wire != source && !(source == DType::F32 && (wire == DType::F16 || wire == DType::BF16))) {
    throw Error(ErrorCode::Internal, "engine: cannot compress " + std::string(to_string(source)) + " as " +
                                         std::string(to_string(wire)));
  }
}

}  // namespace

#ifndef RONDE_HAVE_CUDA
struct FusionBuffer::DeviceBuffer {};
void FusionBuffer::DeviceBufferDeleter::operator()(DeviceBuffer* buffer) const { delete buffer; }
#endif

FusionBuffer::FusionBuffer(void* cuda_stream) : cuda_stream_(cuda_stream) {}

FusionBuffer::~FusionBuffer() = default;

Tensor FusionBuffer::pack(const std::vector<FusedEntry>& entries, DType source, DType wire, const Device& device) {
  check_wire(source, wire);
  const std::size_t count = total_elements(entries);
  const std::size_t bytes = count * dtype_size(wire);
  if (device.is_cuda()) {
#ifdef RONDE_HAVE_CUDA
    void* packed = device_reserve(device_, device.index, bytes);
    device_pack(entries, source, wire, packed, device.index, cuda_stream_);
    return Tensor(packed, wire, {static_cast<std::int64_t>(count)}, device);
#else
    throw Error(ErrorCode::Unavailable, "engine: a tensor is on " + device.to_string() + " but ronde was built without CUDA");
#endif
  }
  if (host_.size() < bytes) host_.resize(bytes);
  std::byte* out = host_.data();
  const std::size_t source_size = dtype_size(source), wire_size = dtype_size(wire);
  for (const FusedEntry& entry : entries) {
    if (entry.count == 0) continue;
    if (!entry.input) std::memset(out, 0, entry.count * wire_size);
    else if (wire == source) std::memcpy(out, entry.input, entry.count * source_size);
    else narrow(static_cast<const float*>(entry.input), out, entry.count, wire);
    out += entry.count * wire_size;
  }
  return Tensor(count ? host_.data() : nullptr, wire, {static_cast<std::int64_t>(count)});
}

void FusionBuffer::unpack(const std::vector<FusedEntry>& entries, DType source, const Tensor& packed) {
  const DType wire = packed.dtype();
  if (packed.device().is_cuda()) {
#ifdef RONDE_HAVE_CUDA
    device_unpack(entries, source, wire, packed.data(), packed.device().index, cuda_stream_);
    return;
#endif
  }
  const auto* in = static_cast<const std::byte*>(packed.data());
  const std::size_t source_size = dtype_size(source), wire_size = dtype_size(wire);
  for (const FusedEntry& entry : entries) {
    if (entry.count == 0) continue;
    if (entry.output) {
      if (wire == source) std::memcpy(entry.output, in, entry.count * source_size);
      else widen(in, static_cast<float*>(entry.output), entry.count, wire);
    }
    in += entry.count * wire_size;
  }
}

}  // namespace ronde::engine
