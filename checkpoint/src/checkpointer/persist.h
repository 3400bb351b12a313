// persist: steps 2-6 of the commit protocol (checkpointer.h) for one rank's snapshot.
//
// Runs on the background save thread (or the caller's, for a blocking save). Every rank calls it
// for the same save; it always completes the message exchange, even when this rank's upload
// failed, so that no rank waits forever. Returns the committed checkpoint's id on every rank, or
// throws the same Error on every rank (naming the failing rank and, through the storage's message,
// the key). After a failure each rank has removed (best effort) the shards it wrote.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "checkpointer/root_channel.h"
#include "checkpointer/snapshot.h"
#include "ronde/checkpoint/encryption.h"
#include "ronde/checkpoint/manifest.h"
#include "ronde/checkpoint/storage.h"
#include "ronde/core/logging.h"

namespace ronde::checkpoint::detail {

// Client-side encryption of the shards a rank saves (docs/CHECKPOINT_FORMAT.md, "Encryption").
struct SaveEncryption {
  std::optional<EncryptionKey> key;  // nullopt: shards are stored as they are
  std::uint64_t frame_bytes = kDefaultEncryptionFrameBytes;
  std::vector<std::byte> buffer;  // the ciphertext of the shard being put, reused from save to save

  // "<key id>/<frame bytes>", or empty without a key: ranks of one save must agree on it.
  std::string descriptor() const;
};

// With `encryption.key`, each shard is encrypted into `encryption.buffer` before its put; every rank
// must use the same key and frame size (else the save fails with Error(Mismatch)).
// `superseded` is checked before each shard's put: once it is true this rank's upload stops with
// Error(Cancelled), which fails the save on every rank like any other upload error (no manifest,
// shards removed). A put already under way finishes first.
CheckpointId persist(Storage& storage, RootChannel& channel, const Logger& log, const Snapshot& snapshot,
                     SaveEncryption& encryption, const std::atomic<bool>& superseded);

}  // namespace ronde::checkpoint::detail
