// EngineOptions::from_env: the engine's knobs (docs/KNOBS.md).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "ronde/allreduce/engine.h"

namespace ronde {

namespace {

Compression parse_compression(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  if (text == "none" || text == "off" || text.empty()) return Compression::None;
  if (text == "fp16" || text == "f16" || text == "float16") return Compression::Float16;
  if (text == "bf16" || text == "bfloat16") return Compression::BFloat16;
  throw Error(ErrorCode::InvalidArgument, "RONDE_COMPRESSION='" + text + "' is not none, fp16 or bf16");
}

std::int64_t non_negative(const Environment& env, std::string_view name, std::int64_t fallback) {
  const std::int64_t value = env.get_int(name, fallback);
  if (value < 0) throw Error(ErrorCode::InvalidArgument, std::string(name) + "=" + std::to_string(value) + " is negative");
  return value;
}

}  // namespace

EngineOptions EngineOptions::from_env(const Environment& env) {
  EngineOptions options;
  options.fusion_threshold = env.get_bytes("RONDE_FUSION_THRESHOLD", options.fusion_threshold);
  options.fusion_host_tensor_limit =
      env.get_bytes("RONDE_FUSION_HOST_TENSOR_LIMIT", options.fusion_host_tensor_limit);
  const double cycle_ms = env.get_double("RONDE_CYCLE_TIME_MS", options.cycle_time.count() / 1000.0);
  if (!(cycle_ms >= 0) || !std::isfinite(cycle_ms)) {
    throw Error(ErrorCode::InvalidArgument, "RONDE_CYCLE_TIME_MS=" + std::to_string(cycle_ms) + " is not a duration in ms");
  }
  options.cycle_time = std::chrono::microseconds(static_cast<std::int64_t>(std::llround(cycle_ms * 1000.0)));
  options.cache_capacity = static_cast<std::size_t>(
      non_negative(env, "RONDE_CACHE_CAPACITY", static_cast<std::int64_t>(options.cache_capacity)));
  options.stall_check = std::chrono::seconds(non_negative(env, "RONDE_STALL_CHECK_SECONDS", options.stall_check.count()));
  options.stall_shutdown =
      std::chrono::seconds(non_negative(env, "RONDE_STALL_SHUTDOWN_SECONDS", options.stall_shutdown.count()));
  options.timeline_path = env.get_string("RONDE_TIMELINE", options.timeline_path);
  if (auto compression = env.get("RONDE_COMPRESSION")) options.compression = parse_compression(*compression);
  options.collectives = CollectiveOptions::from_env(env);
  return options;
}

}  // namespace ronde
