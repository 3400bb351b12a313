// ronde-ckpt's checkpoint-aware verbs: they read the layout of ronde checkpoints
// (ronde/checkpoint/manifest.h, docs/CHECKPOINT_FORMAT.md) under a checkpoint root, the URI a
// job's Checkpointer was given. Like the verbs of verbs.h, each takes the arguments after its
// name, prints its own --help and returns an exit code.
#pragma once

#include <span>

namespace ronde::ckpt {

// `verify` found a checkpoint that is not sound: a manifest that does not parse, or a shard that is
// missing or has another size or checksum than its manifest records (docs/STORAGE.md).
inline constexpr int kCheckpointInvalid = 6;

int run_checkpoints(std::span<char* const> args);  // committed checkpoints, newest first
int run_inspect(std::span<char* const> args);      // one manifest, readably
int run_verify(std::span<char* const> args);       // every shard's size and checksum
int run_prune(std::span<char* const> args);        // retention rules applied by hand
int run_latest(std::span<char* const> args);       // the newest committed checkpoint's URI or step

}  // namespace ronde::ckpt
