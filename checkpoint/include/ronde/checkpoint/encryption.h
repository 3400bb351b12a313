// Client-side encryption at rest of checkpoint shards: the key (docs/CHECKPOINTS.md, "Encryption").
//
//   // RONDE_CHECKPOINT_KEY_FILE=/secrets/ckpt.key (64 hex digits), or RONDE_CHECKPOINT_KEY=<hex>
//   ronde::checkpoint::Checkpointer ck(ctx, "s3://bucket/run-7", CheckpointerOptions::from_env());
//
// With a key, every shard a checkpointer saves is encrypted with AES-256-GCM in frames
// (docs/CHECKPOINT_FORMAT.md, "Encryption"); the manifest records everything needed to decrypt
// except the key itself, and the key's id (a fingerprint) to tell a wrong key from corruption.
// Restoring an encrypted checkpoint needs the same key; unencrypted checkpoints restore with or
// without one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ronde/core/env.h"

namespace ronde::checkpoint {

// The plaintext bytes of one encrypted frame unless configured otherwise.
inline constexpr std::uint64_t kDefaultEncryptionFrameBytes = 1ull << 20;
// The largest frame size allowed (a frame is encrypted in one call).
inline constexpr std::uint64_t kMaxEncryptionFrameBytes = 1ull << 30;

struct EncryptionKey {
  std::array<std::byte, 32> bytes{};  // AES-256

  // The first 16 hex digits of the SHA-256 of the key: recorded in manifests, safe to print.
  std::string id() const;

  // 64 hex digits (either case; surrounding whitespace ignored). Error(InvalidArgument) naming
  // `source` (a variable or file name) for anything else; the message never contains the text.
  static EncryptionKey from_hex(std::string_view hex, std::string_view source = "encryption key");
  // A file holding 64 hex digits (surrounding whitespace ignored). Error(InvalidArgument) naming the
  // file when it cannot be read or does not hold a key.
  static EncryptionKey from_file(const std::string& path);
  // RONDE_CHECKPOINT_KEY_FILE (a file, as from_file) or else RONDE_CHECKPOINT_KEY (the hex
  // itself); nullopt when neither is set. The file wins when both are set.
  static std::optional<EncryptionKey> from_env(const Environment& env = Environment::process());

  friend bool operator==(const EncryptionKey&, const EncryptionKey&) = default;
};

}  // namespace ronde::checkpoint
