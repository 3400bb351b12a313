// Push and pull chunk messages handled as gRPC byte buffers rather than protobuf objects, so that
// a tensor's bytes are not copied into and out of protobuf messages on their way to and from the
// wire: a data chunk is sent in place from a buffer it keeps alive, and a received one is copied
// once, into its destination.
//
// The bytes on the wire are exactly the protobuf encoding of PushChunk and PullChunk
// (proto/ronde_ps.proto): a header chunk holds field 1, a data chunk field 2 (`bytes data`). The
// other end may use the generated classes, and does for pushes received by the server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <google/protobuf/message_lite.h>
#include <grpcpp/grpcpp.h>

namespace ronde::ps::wire {

// Field numbers shared by PushChunk and PullChunk.
inline constexpr std::uint32_t kChunkHeaderField = 1;
inline constexpr std::uint32_t kChunkDataField = 2;

// A chunk message whose only field is `data` = `bytes`, referring to them in place. `owner` (not
// null) keeps the bytes alive, unchanged, until gRPC lets go of the message. That can be after
// the call that sent it has finished: gRPC completes a write once the bytes are queued for the
// socket, and a call that fails early can leave them queued. So borrowed memory (a caller's
// tensor) must be copied into an owned buffer first.
grpc::ByteBuffer data_chunk(std::span<const std::byte> bytes, std::shared_ptr<const void> owner);

// A chunk message whose only field is `header` = `header` (serialized: headers are small).
grpc::ByteBuffer header_chunk(const google::protobuf::MessageLite& header);

// One received chunk message, split into its fields without copying them. Unknown fields are
// skipped, as protobuf does, except groups (a long-deprecated encoding no ronde message uses),
// which are refused; so are a header or data field given twice (ronde never sends one, and
// merging them would hide a broken peer) and field numbers beyond protobuf's range.
class ReceivedChunk {
 public:
  // False, with why() saying what was wrong, when `message` is not a well-formed chunk.
  bool parse(const grpc::ByteBuffer& message);
  const std::string& why() const { return why_; }

  bool has_header() const { return header_.present; }
  // False when the header field's bytes are not a valid `header`.
  bool parse_header(google::protobuf::MessageLite& header) const;

  bool has_data() const { return data_.present; }
  std::size_t data_size() const { return data_.size; }
  // Copies the data_size() bytes of the data field to `out`.
  void copy_data(std::byte* out) const;

 private:
  struct Range {
    bool present = false;
    std::size_t start = 0;  // offset in the message
    std::size_t size = 0;
  };
  void copy(const Range& range, std::byte* out) const;

  std::vector<grpc::Slice> slices_;
  Range header_;
  Range data_;
  std::string why_;
};

}  // namespace ronde::ps::wire
