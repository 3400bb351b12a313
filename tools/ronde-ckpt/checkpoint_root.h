// What the checkpoint verbs share: the checkpoint root a command-line URI names, the checkpoint
// prefixes under it (committed or not), their manifests, and the choice of one checkpoint.
//
//   s3://bucket/run-7                               the root a job's Checkpointer was given
//   s3://bucket/run-7/ckpt-000000000100-3f9a1c2e    one checkpoint of that root
//   /data/ckpt, file:///data/ckpt                   local roots, as for every other verb
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/checkpoint/manifest.h"
#include "ronde/checkpoint/storage.h"

namespace ronde::ckpt {

struct CheckpointRoot {
  std::string argument;                               // as given, for messages
  std::unique_ptr<checkpoint::Storage> storage;
  std::string prefix;                                 // the root's keys in `storage`: "" or "run-7/"
  std::optional<checkpoint::CheckpointId> named;      // the URI named this one checkpoint

  // The key in `storage` of object `object` of checkpoint `id`, and its URI for messages.
  std::string key_of(const checkpoint::CheckpointId& id, std::string_view object) const;
  std::string uri_of(const checkpoint::CheckpointId& id, std::string_view object) const;
};

// Opens the root `argument` names (see the top of this file). UsageError for a malformed URI.
CheckpointRoot open_checkpoint_root(std::string_view argument);

// A checkpoint's prefix under the root: committed when it has a manifest. Prefixes without one
// are debris of saves that did not finish (the commit rule, docs/CHECKPOINT_FORMAT.md).
struct CheckpointPrefix {
  checkpoint::CheckpointId id;
  bool committed = false;
  std::size_t objects = 0;
  std::uint64_t bytes = 0;  // of every object under the prefix
};

// Every checkpoint prefix under the root (only the named one when the URI named one), newest
// first (checkpoint::sort_newest_first).
std::vector<CheckpointPrefix> list_checkpoint_prefixes(const CheckpointRoot& root);

// Reads and parses the manifest of `id`: Error(NotFound) or Error(Corrupt) naming its URI.
checkpoint::Manifest read_manifest(const CheckpointRoot& root, const checkpoint::CheckpointId& id);

// The checkpoint a verb works on: the one the URI named (which `step`, if given, must match),
// else the newest committed one, of step `step` if given. Error(NotFound) naming the root (and
// step) when there is none; UsageError when the named checkpoint is not of `step`.
checkpoint::CheckpointId select_checkpoint(const CheckpointRoot& root, std::optional<std::int64_t> step);

// "2024-11-24T22:20:05.123Z" (UTC, milliseconds), as manifests record `created`.
std::string format_utc_millis(std::chrono::system_clock::time_point time);

}  // namespace ronde::ckpt
