// Checksums of checkpoint bytes: XXH3-64, streaming, about 10-20 GB/s per core.
//
//   ronde::checkpoint::Checksum sum;
//   sum.update(first_part);
//   sum.update(second_part);
//   manifest_entry.checksum = sum.hex();        // "xxh3:0123456789abcdef"
//
// Feeding the same bytes in any split gives the same digest as checksum_of() over the whole.
// The text form is "xxh3:" followed by the 64-bit digest as 16 lowercase hex digits (most
// significant first); it names the algorithm so that a later format can add others. XXH3 detects
// accidental corruption (truncation, bit flips, a wrong object); it is not a cryptographic hash and
// says nothing about tampering.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace ronde::checkpoint {

// The prefix of the text form: "xxh3:".
inline constexpr std::string_view kChecksumPrefix = "xxh3:";

class Checksum {
 public:
  Checksum();
  ~Checksum();
  // A moved-from Checksum may only be assigned to or destroyed.
  Checksum(Checksum&&) noexcept;
  Checksum& operator=(Checksum&&) noexcept;
  Checksum(const Checksum&) = delete;
  Checksum& operator=(const Checksum&) = delete;

  // Adds bytes to the running checksum. Any number of calls, any sizes (empty spans included).
  void update(std::span<const std::byte> bytes);
  void update(std::string_view text) { update(std::as_bytes(std::span<const char>(text.data(), text.size()))); }
  // The digest of every byte added since construction or reset(); more updates may follow.
  std::uint64_t digest() const;
  // format_checksum(digest()).
  std::string hex() const;
  // Starts over, as if newly constructed.
  void reset();
  // Bytes added since construction or reset().
  std::uint64_t bytes() const { return bytes_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint64_t bytes_ = 0;
};

// The digest of `bytes` in one call (equal to a Checksum fed the same bytes).
std::uint64_t checksum_of(std::span<const std::byte> bytes);
// format_checksum(checksum_of(bytes)).
std::string checksum_hex(std::span<const std::byte> bytes);

// "xxh3:" + 16 lowercase hex digits.
std::string format_checksum(std::uint64_t digest);
// Inverse of format_checksum. Anything else (another prefix, upper case, a wrong length) is
// Error(Corrupt) naming `what` (e.g. "checksum of shard 'rank-00001-000.shard'") and quoting the text.
std::uint64_t parse_checksum(std::string_view text, std::string_view what);

}  // namespace ronde::checkpoint
