// The file backend's directory walk: regular files under a root, visited in the byte order of
// their keys, which is the order list() promises.
//
// Sorting each directory by name alone is not that order ("a-b" < "a/b" but "a" < "a-b"), so a
// directory sorts as its name plus '/': every key below it starts with exactly that string.
// Subtrees that cannot hold a key with the prefix, or a key after the token, are not read.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace ronde::checkpoint {

enum class WalkKind {
  Objects,      // regular files that are not temporary files
  Temporaries,  // only temporary files (temp_names.h); the prefix applies to the key they will become
};

struct WalkFilter {
  std::string_view prefix;  // keys must start with this
  std::string_view after{};  // keys must sort after this (empty: from the start)
  WalkKind kind = WalkKind::Objects;
};

// Calls `visit(key, stat)` for each matching file until it returns false. Symbolic links and
// special files are skipped. A missing root holds no files; other failures are Error(Storage)
// naming `what` and the directory.
void walk_files(const std::filesystem::path& root, const WalkFilter& filter,
                const std::function<bool(const std::string& key, const struct stat& info)>& visit,
                const std::string& what);

}  // namespace ronde::checkpoint
