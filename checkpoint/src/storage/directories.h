// The file backend's directories: created (durably) when a put needs them, pruned when a remove
// empties them, so the tree mirrors the keys the way S3's flat namespace would.
#pragma once

#include <filesystem>
#include <string>

namespace ronde::checkpoint {

// mkdir -p `directory`, fsyncing the parent of every directory it creates so that a later rename
// into it survives a crash. Error(Storage) naming `what` and the path on failure.
void make_directories(const std::filesystem::path& directory, const std::string& what);

// Removes `directory` and then its parents while they are empty, stopping at `root` (kept).
// Best effort: a directory that is not empty, or vanished, simply ends the pruning.
void prune_empty_directories(const std::filesystem::path& directory, const std::filesystem::path& root);

}  // namespace ronde::checkpoint
