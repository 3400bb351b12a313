// XXH3-64 through the system libxxhash, which picks the widest vector unit (SSE2/AVX2/AVX-512) of
// the running CPU at run time; hashing inline from the header would be limited to the build's
// baseline (SSE2 on x86-64) and measured ~40% slower here.
#include "ronde/checkpoint/checksum.h"

#include <xxhash.h>

#include "ronde/core/error.h"

namespace ronde::checkpoint {

namespace {

constexpr std::size_t kHexDigits = 16;
constexpr char kHex[] = "0123456789abcdef";

}  // namespace

struct Checksum::State {
  State() : xxh(XXH3_createState()) {
    if (xxh == nullptr) throw Error(ErrorCode::Internal, "XXH3_createState failed (out of memory)");
    XXH3_64bits_reset(xxh);
  }
  ~State() { XXH3_freeState(xxh); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  XXH3_state_t* xxh;
};

Checksum::Checksum() : state_(std::make_unique<State>()) {}
Checksum::~Checksum() = default;
Checksum::Checksum(Checksum&&) noexcept = default;
Checksum& Checksum::operator=(Checksum&&) noexcept = default;

void Checksum::update(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (XXH3_64bits_update(state_->xxh, bytes.data(), bytes.size()) != XXH_OK) {
    throw Error(ErrorCode::Internal, "XXH3_64bits_update failed");
  }
  bytes_ += bytes.size();
}

std::uint64_t Checksum::digest() const { return XXH3_64bits_digest(state_->xxh); }

std::string Checksum::hex() const { return format_checksum(digest()); }

void Checksum::reset() {
  XXH3_64bits_reset(state_->xxh);
  bytes_ = 0;
}

std::uint64_t checksum_of(std::span<const std::byte> bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::string checksum_hex(std::span<const std::byte> bytes) { return format_checksum(checksum_of(bytes)); }

std::string format_checksum(std::uint64_t digest) {
  std::string text(kChecksumPrefix);
  text.resize(kChecksumPrefix.size() + kHexDigits);
  for (std::size_t i = 0; i < kHexDigits; ++i) {
    text[text.size() - 1 - i] = kHex[(digest >> (4 * i)) & 0xf];
  }
  return text;
}

std::uint64_t parse_checksum(std::string_view text, std::string_view what) {
  const auto fail = [&] {
    return Error(ErrorCode::Corrupt, std::string(what) + ": '" + std::string(text) +
                                         "' is not a checksum of the form xxh3:<16 lowercase hex digits>");
  };
  if (text.size() != kChecksumPrefix.size() + kHexDigits || !text.starts_with(kChecksumPrefix)) throw fail();
  std::uint64_t digest = 0;
  for (char c : text.substr(kChecksumPrefix.size())) {
    std::uint64_t nibble = 0;
    if (c >= '0' && c <= '9') {
      nibble = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      nibble = static_cast<std::uint64_t>(c - 'a' + 10);
    } else {
      throw fail();
    }
    digest = (digest << 4) | nibble;
  }
  return digest;
}

}  // namespace ronde::checkpoint
