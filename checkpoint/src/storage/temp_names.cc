#include "storage/temp_names.h"

#include <cstdint>
#include <random>

namespace ronde::checkpoint {

namespace {

constexpr std::string_view kMarker = ".ronde-tmp-";
constexpr std::size_t kSuffixDigits = 16;

}  // namespace

std::string make_temp_name(std::string_view name) {
  std::random_device device;
  const std::uint64_t random = (std::uint64_t{device()} << 32) ^ device();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string suffix(kSuffixDigits, '0');
  for (std::size_t i = 0; i < kSuffixDigits; ++i) suffix[i] = kHex[(random >> (4 * i)) & 0xf];
  std::string result = ".";
  result.append(name);
  result.append(kMarker);
  result.append(suffix);
  return result;
}

std::optional<std::string> temp_target(std::string_view name) {
  if (name.size() < 1 + 1 + kMarker.size() + kSuffixDigits || name.front() != '.') return std::nullopt;
  const std::size_t marker = name.size() - kSuffixDigits - kMarker.size();
  if (name.substr(marker, kMarker.size()) != kMarker) return std::nullopt;
  for (char c : name.substr(marker + kMarker.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return std::string(name.substr(1, marker - 1));
}

}  // namespace ronde::checkpoint
