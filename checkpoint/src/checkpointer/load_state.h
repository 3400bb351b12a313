// Loading a verified checkpoint's tensors and records into a CheckpointState.
//
// For each tensor of the state: replicated ones from the manifest's `tensors` (any world size),
// per-rank ones from this rank's `per_rank` entry (only at the saving world size). The bytes of each
// piece are read straight into the tensor's memory and checked against the piece's checksum.
// Errors name the tensor and checkpoint: NotFound when the checkpoint lacks it, Mismatch for a
// different dtype or shape or world size, Corrupt for a checksum that does not match. After an
// error the state's tensors may be partly overwritten. Metadata and user JSON are replaced by the
// checkpoint's; each optimizer of the state takes the metadata of the checkpoint's optimizer of
// the same name (NotFound when absent).
#pragma once

#include <optional>

#include "ronde/checkpoint/checkpointer.h"
#include "ronde/checkpoint/encryption.h"
#include "ronde/checkpoint/manifest.h"
#include "ronde/checkpoint/storage.h"

namespace ronde::checkpoint::detail {

// An encrypted checkpoint (Manifest::encryption) needs `key`: without one, or with a key whose id
// is not the manifest's, Error(Unauthenticated) naming the checkpoint and the key ids, before any
// byte is read. Its pieces are read as the frames that hold them, each decrypted and authenticated
// (a frame that fails is Error(Corrupt) naming the shard and frame), then checked as above.
void load_state(Storage& storage, const Manifest& manifest, int rank, int world_size, CheckpointState& state,
                const std::optional<EncryptionKey>& key = std::nullopt);

}  // namespace ronde::checkpoint::detail
