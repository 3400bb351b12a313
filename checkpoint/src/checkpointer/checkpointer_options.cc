// CheckpointerOptions::from_env and resolve_checkpoint_uri.
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint {
namespace {

std::int64_t non_negative(const Environment& env, std::string_view name, std::int64_t fallback) {
  const std::int64_t value = env.get_int(name, fallback);
  if (value < 0) {
    throw Error(ErrorCode::InvalidArgument, std::string(name) + "=" + std::to_string(value) + " must be >= 0");
  }
  return value;
}

}  // namespace

CheckpointerOptions CheckpointerOptions::from_env(const Environment& env) {
  CheckpointerOptions options;
  options.every_steps = non_negative(env, "RONDE_CHECKPOINT_EVERY_STEPS", options.every_steps);
  options.keep_last = static_cast<int>(non_negative(env, "RONDE_CHECKPOINT_KEEP_LAST", options.keep_last));
  options.keep_every = non_negative(env, "RONDE_CHECKPOINT_KEEP_EVERY", options.keep_every);
  options.encryption_key = EncryptionKey::from_env(env);
  return options;
}

std::string resolve_checkpoint_uri(std::string_view uri, const std::optional<SageMakerConfig>& sagemaker) {
  if (!uri.empty()) return std::string(uri);
  if (sagemaker) return "file://" + sagemaker->checkpoint_dir().string();
  throw Error(ErrorCode::InvalidArgument,
              "checkpointer: no checkpoint URI given, and this is not a SageMaker container (where it defaults "
              "to <root>/checkpoints)");
}

}  // namespace ronde::checkpoint
