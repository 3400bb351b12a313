// Chunk messages as byte buffers (common/frames.h): what ronde encodes is exactly the protobuf
// encoding of PushChunk/PullChunk, whatever a peer encodes with protobuf is read back the same
// however gRPC split it into slices, sent bytes stay alive as long as gRPC holds them, and
// malformed messages are refused saying what was wrong.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/frames.h"
#include "ronde_ps.pb.h"

namespace ronde::ps::wire {
namespace {

std::string flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const auto& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

// `bytes` as a message of slices of `piece` bytes each (the last may be shorter).
grpc::ByteBuffer in_pieces(const std::string& bytes, std::size_t piece) {
  std::vector<grpc::Slice> slices;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    slices.emplace_back(bytes.data() + at, std::min(piece, bytes.size() - at));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(i * 7 + 3);
  return out;
}

TEST(Frames, ADataChunkIsTheProtobufEncodingOfItsData) {
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{127}, std::size_t{128},
                                 std::size_t{300000}}) {
    const auto data = std::make_shared<const std::vector<std::byte>>(pattern(size));
    v1::PushChunk parsed;
    ASSERT_TRUE(parsed.ParseFromString(flatten(data_chunk(*data, data)))) << size;
    EXPECT_FALSE(parsed.has_header());
    ASSERT_EQ(parsed.data().size(), size);
    EXPECT_TRUE(size == 0 || std::memcmp(parsed.data().data(), data->data(), size) == 0);
  }
}

TEST(Frames, AHeaderChunkIsTheProtobufEncodingOfItsHeader) {
  v1::PullHeader header;
  header.set_version(42);
  header.set_dtype(v1::F64);
  header.set_length(1 << 20);
  header.set_incarnation("abc");
  v1::PullChunk parsed;
  ASSERT_TRUE(parsed.ParseFromString(flatten(header_chunk(header))));
  ASSERT_TRUE(parsed.has_header());
  EXPECT_EQ(parsed.header().SerializeAsString(), header.SerializeAsString());
  EXPECT_TRUE(parsed.data().empty());
}

TEST(Frames, SentBytesStayAliveUntilTheLastMessageReferringToThemIsGone) {
  auto owner = std::make_shared<std::vector<std::byte>>(pattern(1000));
  const std::span<const std::byte> bytes(*owner);
  std::weak_ptr<std::vector<std::byte>> watch = owner;
  {
    grpc::ByteBuffer first = data_chunk(bytes.subspan(0, 500), owner);
    grpc::ByteBuffer copy = first;  // gRPC copies buffers by reference, as this does
    {
      grpc::ByteBuffer second = data_chunk(bytes.subspan(500), owner);
    }
    owner.reset();
    EXPECT_FALSE(watch.expired()) << "freed while a message still refers to it";
    first.Clear();
    EXPECT_FALSE(watch.expired()) << "freed while a copy of the message still refers to it";
    EXPECT_EQ(flatten(copy).size(), 1 + 2 + 500u);  // tag, length (a two-byte varint), data
  }
  EXPECT_TRUE(watch.expired()) << "kept alive after every message referring to it was gone";
}

TEST(Frames, AReceivedChunkReadsTheSameHoweverItIsSplitIntoSlices) {
  const auto data = pattern(5000);
  v1::PullChunk data_message;
  data_message.set_data(data.data(), data.size());
  v1::PullChunk header_message;
  header_message.mutable_header()->set_version(7);
  header_message.mutable_header()->set_incarnation("xyz");
  for (const std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{1000}, std::size_t{9000}}) {
    ReceivedChunk chunk;
    ASSERT_TRUE(chunk.parse(in_pieces(data_message.SerializeAsString(), piece))) << chunk.why();
    EXPECT_FALSE(chunk.has_header());
    ASSERT_TRUE(chunk.has_data());
    ASSERT_EQ(chunk.data_size(), data.size());
    std::vector<std::byte> out(data.size());
    chunk.copy_data(out.data());
    EXPECT_EQ(out, data) << "in slices of " << piece << " bytes";

    ASSERT_TRUE(chunk.parse(in_pieces(header_message.SerializeAsString(), piece))) << chunk.why();
    ASSERT_TRUE(chunk.has_header());
    EXPECT_FALSE(chunk.has_data());
    v1::PullHeader header;
    ASSERT_TRUE(chunk.parse_header(header));
    EXPECT_EQ(header.version(), 7u);
    EXPECT_EQ(header.incarnation(), "xyz");
  }
}

TEST(Frames, UnknownFieldsAreSkippedAndAnEmptyMessageHasNeitherPart) {
  // field 5 varint 300, field 6 fixed32, field 7 fixed64, field 9 bytes "zz", then data "abc".
  const std::string message = std::string("\x28\xac\x02", 3) + std::string("\x35\x01\x02\x03\x04", 5) +
                              std::string("\x39\x01\x02\x03\x04\x05\x06\x07\x08", 9) + "\x4a\x02zz" + "\x12\x03" "abc";
  ReceivedChunk chunk;
  ASSERT_TRUE(chunk.parse(in_pieces(message, 4))) << chunk.why();
  ASSERT_TRUE(chunk.has_data());
  std::string out(chunk.data_size(), '\0');
  chunk.copy_data(reinterpret_cast<std::byte*>(out.data()));
  EXPECT_EQ(out, "abc");

  for (const grpc::ByteBuffer& empty : {grpc::ByteBuffer(), grpc::ByteBuffer(nullptr, 0)}) {  // none; zero bytes
    ASSERT_TRUE(chunk.parse(empty)) << chunk.why();
    EXPECT_FALSE(chunk.has_header());
    EXPECT_FALSE(chunk.has_data());
  }
}

TEST(Frames, MalformedChunksAreRefusedSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string("\x80", 1), "truncated field tag"},
      {std::string("\x12\x05" "abc", 5), "runs past the message's end"},
      {std::string("\x12\x01" "a" "\x12\x01" "b", 6), "two data fields"},
      {std::string("\x0a\x00\x0a\x00", 4), "two headers"},
      {std::string("\x10\x05", 2), "not length-delimited"},
      {std::string("\x02\x00", 2), "numbered 0"},
      {std::string("\x13", 1), "unsupported wire type 3"},
      {std::string("\x80\x80\x80\x80\x10", 5), "a field numbered 536870912"},
      {"\x12" + std::string(9, '\xff') + "\x01", "runs past the message's end"},  // a length of 2^64 - 1
      {"\x12" + std::string(9, '\xff') + "\x02", "truncated or overlong length"},  // bits beyond 64
      {"\x12" + std::string(10, '\xff') + "\x01", "truncated or overlong length"},  // 11 bytes
  };
  for (const auto& [bytes, why] : cases) {
    ReceivedChunk chunk;
    EXPECT_FALSE(chunk.parse(in_pieces(bytes, 1)));
    EXPECT_NE(chunk.why().find(why), std::string::npos) << "got: " << chunk.why() << "; expected: " << why;
  }
  ReceivedChunk chunk;
  ASSERT_TRUE(chunk.parse(in_pieces(std::string("\x0a\x02\xff\xff", 4), 2)));
  v1::PullHeader header;
  EXPECT_FALSE(chunk.parse_header(header)) << "an unreadable header must be reported";
}

}  // namespace
}  // namespace ronde::ps::wire
