// Byte encoding of the engine's control messages (requests to rank 0, responses from it).
//
// Fixed-width little-endian-as-in-memory integers and doubles, strings and vectors prefixed by
// their length. Every rank of a job runs the same build on the same kind of host, so the encoding
// needs no byte-order or version negotiation; a reader that runs past the end throws
// Error(Internal) instead of reading garbage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "ronde/core/error.h"

namespace ronde::engine {

class ByteWriter {
 public:
  template <class T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* bytes = reinterpret_cast<const std::byte*>(&value);
    out_.insert(out_.end(), bytes, bytes + sizeof(T));
  }
  void put_string(const std::string& text) {
    put<std::uint64_t>(text.size());
    const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
    out_.insert(out_.end(), bytes, bytes + text.size());
  }
  void put_ints(const std::vector<std::int64_t>& values) {
    put<std::uint64_t>(values.size());
    for (std::int64_t value : values) put(value);
  }
  std::vector<std::byte> take() { return std::move(out_); }

 private:
  std::vector<std::byte> out_;
};

class ByteReader {
 public:
  explicit ByteReader(const std::vector<std::byte>& in) : in_(in) {}
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T value;
    std::memcpy(&value, in_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }
  std::string get_string() {
    const auto length = static_cast<std::size_t>(get<std::uint64_t>());
    need(length);
    std::string text(reinterpret_cast<const char*>(in_.data() + offset_), length);
    offset_ += length;
    return text;
  }
  std::vector<std::int64_t> get_ints() {
    const auto count = static_cast<std::size_t>(get<std::uint64_t>());
    need(count * sizeof(std::int64_t));
    std::vector<std::int64_t> values(count);
    for (auto& value : values) value = get<std::int64_t>();
    return values;
  }
  bool done() const { return offset_ == in_.size(); }

 private:
  void need(std::size_t bytes) const {
    if (bytes > in_.size() - offset_) {
      throw Error(ErrorCode::Internal, "engine: a control message ended early (" + std::to_string(in_.size()) +
                                           " bytes, wanted " + std::to_string(offset_ + bytes) + ")");
    }
  }
  const std::vector<std::byte>& in_;
  std::size_t offset_ = 0;
};

}  // namespace ronde::engine
