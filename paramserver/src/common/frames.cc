#include "common/frames.h"

#include <algorithm>
#include <cstring>

namespace ronde::ps::wire {
namespace {

// Protobuf's wire types (the low three bits of a field's tag).
enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// The largest encoding of a 64-bit varint.
constexpr std::size_t kMaxVarintBytes = 10;
// Protobuf's largest field number (2^29 - 1).
constexpr std::uint64_t kMaxFieldNumber = (std::uint64_t{1} << 29) - 1;

// `value` as a protobuf varint at `out`; returns the bytes written.
std::size_t put_varint(std::uint64_t value, std::uint8_t* out) {
  std::size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<std::uint8_t>(value | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<std::uint8_t>(value);
  return n;
}

// Reads a message laid out over several slices, front to back.
class Cursor {
 public:
  explicit Cursor(const std::vector<grpc::Slice>& slices) : slices_(slices) { skip_empty(); }

  bool at_end() const { return slice_ == slices_.size(); }
  std::size_t position() const { return position_; }

  bool byte(std::uint8_t& out) {
    if (at_end()) return false;
    out = slices_[slice_].begin()[offset_];
    advance_within(1);
    return true;
  }

  bool varint(std::uint64_t& out) {
    out = 0;
    for (std::size_t i = 0; i < kMaxVarintBytes; ++i) {
      std::uint8_t b = 0;
      if (!byte(b)) return false;
      if (i == kMaxVarintBytes - 1 && b > 1) return false;  // bits beyond 64
      out |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return true;
    }
    return false;  // longer than any 64-bit value
  }

  bool skip(std::uint64_t bytes) {
    while (bytes > 0) {
      if (at_end()) return false;
      const std::size_t here = std::min<std::uint64_t>(bytes, slices_[slice_].size() - offset_);
      advance_within(here);
      bytes -= here;
    }
    return true;
  }

 private:
  void advance_within(std::size_t n) {
    offset_ += n;
    position_ += n;
    if (offset_ == slices_[slice_].size()) {
      ++slice_;
      offset_ = 0;
      skip_empty();
    }
  }
  void skip_empty() {
    while (slice_ < slices_.size() && slices_[slice_].size() == 0) ++slice_;
  }

  const std::vector<grpc::Slice>& slices_;
  std::size_t slice_ = 0;
  std::size_t offset_ = 0;
  std::size_t position_ = 0;
};

void release_owner(void* owner) { delete static_cast<std::shared_ptr<const void>*>(owner); }

}  // namespace

grpc::ByteBuffer data_chunk(std::span<const std::byte> bytes, std::shared_ptr<const void> owner) {
  std::uint8_t prefix[1 + kMaxVarintBytes];
  prefix[0] = static_cast<std::uint8_t>(kChunkDataField << 3 | kLengthDelimited);
  const std::size_t prefix_size = 1 + put_varint(bytes.size(), prefix + 1);
  // gRPC never writes through a slice it sends; its constructors just take non-const pointers.
  void* data = const_cast<std::byte*>(bytes.data());
  grpc::Slice slices[2] = {
      grpc::Slice(prefix, prefix_size),
      grpc::Slice(data, bytes.size(), release_owner, new std::shared_ptr<const void>(std::move(owner))),
  };
  return grpc::ByteBuffer(slices, bytes.empty() ? 1 : 2);
}

grpc::ByteBuffer header_chunk(const google::protobuf::MessageLite& header) {
  const std::string body = header.SerializeAsString();
  std::string message(1, static_cast<char>(kChunkHeaderField << 3 | kLengthDelimited));
  std::uint8_t length[kMaxVarintBytes];
  message.append(reinterpret_cast<const char*>(length), put_varint(body.size(), length));
  message += body;
  grpc::Slice slice(message);
  return grpc::ByteBuffer(&slice, 1);
}

bool ReceivedChunk::parse(const grpc::ByteBuffer& message) {
  slices_.clear();
  header_ = {};
  data_ = {};
  why_.clear();
  if (!message.Valid()) return true;  // no buffer at all: an empty message
  if (!message.Dump(&slices_).ok()) {
    why_ = "an unreadable message";
    return false;
  }
  Cursor cursor(slices_);
  while (!cursor.at_end()) {
    std::uint64_t tag = 0;
    if (!cursor.varint(tag)) {
      why_ = "a truncated field tag";
      return false;
    }
    const std::uint64_t field = tag >> 3;
    const auto type = static_cast<std::uint32_t>(tag & 7);
    if (field == 0 || field > kMaxFieldNumber) {
      why_ = "a field numbered " + std::to_string(field);
      return false;
    }
    bool skipped = false;
    std::uint64_t ignored = 0;
    switch (type) {
      case kVarint: skipped = cursor.varint(ignored); break;
      case kFixed64: skipped = cursor.skip(8); break;
      case kFixed32: skipped = cursor.skip(4); break;
      case kLengthDelimited: {
        std::uint64_t size = 0;
        if (!cursor.varint(size)) {
          why_ = "field " + std::to_string(field) + " has a truncated or overlong length";
          return false;
        }
        Range* range = field == kChunkHeaderField ? &header_ : field == kChunkDataField ? &data_ : nullptr;
        if (range != nullptr) {
          if (range->present) {
            why_ = field == kChunkHeaderField ? "a chunk with two headers" : "a chunk with two data fields";
            return false;
          }
          *range = {true, cursor.position(), static_cast<std::size_t>(size)};
        }
        skipped = cursor.skip(size);
        break;
      }
      default: why_ = "field " + std::to_string(field) + " has the unsupported wire type " + std::to_string(type); return false;
    }
    if (!skipped) {
      why_ = "field " + std::to_string(field) + " runs past the message's end";
      return false;
    }
    if ((field == kChunkHeaderField || field == kChunkDataField) && type != kLengthDelimited) {
      why_ = "field " + std::to_string(field) + " is not length-delimited";
      return false;
    }
  }
  return true;
}

bool ReceivedChunk::parse_header(google::protobuf::MessageLite& header) const {
  std::string bytes(header_.size, '\0');
  copy(header_, reinterpret_cast<std::byte*>(bytes.data()));
  return header.ParseFromString(bytes);
}

void ReceivedChunk::copy_data(std::byte* out) const { copy(data_, out); }

void ReceivedChunk::copy(const Range& range, std::byte* out) const {
  std::size_t slice_start = 0;  // offset of the current slice in the message
  std::size_t copied = 0;
  for (const grpc::Slice& slice : slices_) {
    if (copied == range.size) break;
    const std::size_t slice_end = slice_start + slice.size();
    const std::size_t from = range.start + copied;
    if (from < slice_end) {
      const std::size_t n = std::min(slice_end - from, range.size - copied);
      std::memcpy(out + copied, slice.begin() + (from - slice_start), n);
      copied += n;
    }
    slice_start = slice_end;
  }
}

}  // namespace ronde::ps::wire
