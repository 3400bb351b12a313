// The key layout of checkpoints: "ckpt-<12-digit step>-<8-hex nonce>/<object>".
#include <algorithm>
#include <random>

#include "ronde/checkpoint/manifest.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint {

namespace {

constexpr std::size_t kStepDigits = 12;
constexpr std::size_t kNonceDigits = 8;
// "ckpt-" + step + "-" + nonce
constexpr std::size_t kNameLength = kCheckpointKeyPrefix.size() + kStepDigits + 1 + kNonceDigits;

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string zero_padded(std::int64_t value, std::size_t digits) {
  std::string text = std::to_string(value);
  if (text.size() < digits) text.insert(0, digits - text.size(), '0');
  return text;
}

void check_step(std::int64_t step) {
  if (step < 0 || step > kMaxStep) {
    throw Error(ErrorCode::InvalidArgument,
                "checkpoint step " + std::to_string(step) + " is outside 0.." + std::to_string(kMaxStep));
  }
}

}  // namespace

CheckpointId CheckpointId::generate(std::int64_t step) {
  check_step(step);
  std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  const std::uint32_t random = device();
  std::string nonce(kNonceDigits, '0');
  for (std::size_t i = 0; i < kNonceDigits; ++i) nonce[i] = kHex[(random >> (4 * i)) & 0xf];
  return {step, nonce};
}

std::string CheckpointId::name() const {
  check_step(step);
  if (nonce.size() != kNonceDigits || !is_lower_hex(nonce)) {
    throw Error(ErrorCode::InvalidArgument, "checkpoint nonce '" + nonce + "' is not 8 lowercase hex digits");
  }
  return std::string(kCheckpointKeyPrefix) + zero_padded(step, kStepDigits) + "-" + nonce;
}

std::string CheckpointId::prefix() const { return name() + "/"; }

std::string CheckpointId::manifest_key() const { return key_of(kManifestName); }

std::string CheckpointId::key_of(std::string_view object_name) const {
  if (object_name.empty()) throw Error(ErrorCode::InvalidArgument, "empty object name in checkpoint " + name());
  return prefix() + std::string(object_name);
}

std::string shard_name(int rank, int index) {
  if (rank < 0 || rank > 99'999 || index < 0 || index > 999) {
    throw Error(ErrorCode::InvalidArgument, "shard rank " + std::to_string(rank) + " index " + std::to_string(index) +
                                                " is outside rank 0..99999, index 0..999");
  }
  return "rank-" + zero_padded(rank, 5) + "-" + zero_padded(index, 3) + ".shard";
}

std::optional<CheckpointId> parse_checkpoint_key(std::string_view key) {
  if (key.size() < kNameLength || !key.starts_with(kCheckpointKeyPrefix)) return std::nullopt;
  if (key.size() > kNameLength && key[kNameLength] != '/') return std::nullopt;
  const std::string_view step = key.substr(kCheckpointKeyPrefix.size(), kStepDigits);
  const std::string_view nonce = key.substr(kCheckpointKeyPrefix.size() + kStepDigits + 1, kNonceDigits);
  if (!is_digits(step) || key[kCheckpointKeyPrefix.size() + kStepDigits] != '-' || !is_lower_hex(nonce)) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (char c : step) value = value * 10 + (c - '0');  // 12 digits always fit
  return CheckpointId{value, std::string(nonce)};
}

bool is_manifest_key(std::string_view key) {
  return key.size() == kNameLength + 1 + kManifestName.size() && parse_checkpoint_key(key).has_value() &&
         key.ends_with(kManifestName);
}

void sort_newest_first(std::vector<CheckpointId>& ids) {
  std::sort(ids.begin(), ids.end(), [](const CheckpointId& a, const CheckpointId& b) {
    if (a.step != b.step) return a.step > b.step;
    return a.nonce > b.nonce;
  });
}

}  // namespace ronde::checkpoint
