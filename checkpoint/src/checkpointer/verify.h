// Checking a checkpoint before trusting it: its manifest parses (parse_manifest's strict checks)
// and every shard it lists exists with the recorded size and whole-object XXH3 checksum.
#pragma once

#include <optional>
#include <string>

#include "ronde/checkpoint/manifest.h"
#include "ronde/checkpoint/storage.h"

namespace ronde::checkpoint::detail {

struct Verified {
  std::optional<Manifest> manifest;  // set when the checkpoint is sound
  std::string problem;               // otherwise what is wrong, naming the shard or manifest
};

// Reads and checks the checkpoint `id`. Storage failures other than a missing object propagate.
// With `parts` > 1 only the manifest and the shards whose position in the manifest is `part`
// modulo `parts` are checked: `parts` ranks checking parts 0 .. parts-1 together check the whole
// checkpoint, reading each shard once.
Verified verify_checkpoint(Storage& storage, const CheckpointId& id, std::size_t part = 0, std::size_t parts = 1);

// Checkpoints with a manifest, newest first.
std::vector<CheckpointId> list_committed(Storage& storage);

}  // namespace ronde::checkpoint::detail
