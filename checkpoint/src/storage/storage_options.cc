// StorageOptions::from_env: the RONDE_STORAGE_* and RONDE_S3_* knobs (docs/KNOBS.md).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <string>

#include "ronde/checkpoint/storage.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint {

namespace {

constexpr std::size_t kMiB = 1024 * 1024;
constexpr std::size_t kMinPartSize = 5 * kMiB;              // S3's smallest part (all but the last)
constexpr std::size_t kMaxPartSize = 5 * 1024 * kMiB;       // S3's largest part

[[noreturn]] void bad(std::string_view variable, const std::string& value, std::string_view expected) {
  throw Error(ErrorCode::InvalidArgument,
              std::string(variable) + "='" + value + "' is not " + std::string(expected));
}

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

int positive_int(const Environment& env, std::string_view variable, int fallback) {
  const std::int64_t value = env.get_int(variable, fallback);
  if (value < 1 || value > 1'000'000) bad(variable, std::to_string(value), "an integer from 1 to 1000000");
  return static_cast<int>(value);
}

// Seconds (fractions allowed) as milliseconds; zero is allowed only where `allow_zero`.
std::chrono::milliseconds seconds(const Environment& env, std::string_view variable, std::chrono::milliseconds fallback,
                                  bool allow_zero) {
  const auto text = env.get(variable);
  if (!text) return fallback;
  const double value = parse_double(*text, variable);
  if (value < 0 || (!allow_zero && value == 0) || value > 1e9) {
    bad(variable, *text, allow_zero ? "a number of seconds >= 0" : "a number of seconds > 0");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(value * 1000.0)));
}

}  // namespace

StorageOptions StorageOptions::from_env(const Environment& env) {
  StorageOptions options;
  options.multipart_threshold = env.get_bytes("RONDE_STORAGE_MULTIPART_THRESHOLD", options.multipart_threshold);
  options.part_size = env.get_bytes("RONDE_STORAGE_PART_SIZE", options.part_size);
  if (options.part_size < kMinPartSize || options.part_size > kMaxPartSize) {
    bad("RONDE_STORAGE_PART_SIZE", std::to_string(options.part_size),
        "between 5 MiB and 5 GiB (S3's part size limits)");
  }
  options.concurrency = positive_int(env, "RONDE_STORAGE_CONCURRENCY", options.concurrency);
  options.max_attempts = positive_int(env, "RONDE_STORAGE_MAX_ATTEMPTS", options.max_attempts);
  options.retry_total_time = seconds(env, "RONDE_STORAGE_RETRY_TOTAL_S", options.retry_total_time, true);
  options.connect_timeout = seconds(env, "RONDE_STORAGE_CONNECT_TIMEOUT_S", options.connect_timeout, false);
  options.request_timeout = seconds(env, "RONDE_STORAGE_REQUEST_TIMEOUT_S", options.request_timeout, false);

  if (const auto text = env.get("RONDE_S3_ADDRESSING")) {
    const std::string value = lowered(*text);
    if (value == "auto") options.addressing = Addressing::Auto;
    else if (value == "path") options.addressing = Addressing::Path;
    else if (value == "virtual") options.addressing = Addressing::VirtualHosted;
    else bad("RONDE_S3_ADDRESSING", *text, "auto, path or virtual");
  }
  const auto sse = env.get("RONDE_S3_SSE");
  if (sse) {
    const std::string value = lowered(*sse);
    if (value == "aes256") options.sse = ServerSideEncryption::Aes256;
    else if (value == "aws:kms") options.sse = ServerSideEncryption::Kms;
    else if (value == "none" || value.empty()) options.sse = ServerSideEncryption::None;
    else bad("RONDE_S3_SSE", *sse, "AES256, aws:kms or none");
  }
  if (const auto key_id = env.get("RONDE_S3_SSE_KMS_KEY_ID"); key_id && !key_id->empty()) {
    // A key id alone means aws:kms; with another explicit choice it would be silently ignored.
    if (!sse) options.sse = ServerSideEncryption::Kms;
    if (options.sse != ServerSideEncryption::Kms) {
      throw Error(ErrorCode::InvalidArgument, "RONDE_S3_SSE_KMS_KEY_ID is set but RONDE_S3_SSE='" + *sse +
                                                  "': a KMS key id needs RONDE_S3_SSE=aws:kms");
    }
    options.sse_kms_key_id = *key_id;
  }
  return options;
}

}  // namespace ronde::checkpoint
