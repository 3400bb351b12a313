// What a command-line argument names: a storage root to open and a key (or key prefix) in it.
//
//   s3://bucket/run-7/step-100?endpoint=...  root "s3://bucket?endpoint=...", key "run-7/step-100"
//   file:///data/ckpt/x, /data/ckpt/x, ./x   root "file:///", key "data/ckpt/x" (absolute, normalised)
//
// Local files are keys of a file storage rooted at "/", so every verb works the same on both
// kinds; `local_path` is set for them so that uploads can map the file instead of copying it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ronde::ckpt {

struct Location {
  std::string argument;                             // as given, for messages
  std::string root_uri;                             // what open_storage() gets
  std::string key;                                  // no leading or trailing '/'; may be empty
  bool trailing_slash = false;                      // the argument ended in '/': a "directory"
  std::optional<std::filesystem::path> local_path;  // for local files

  // An existing local directory, or an argument ending in '/', or the root itself.
  bool names_directory() const;
  // `key` as a prefix that holds only what is "inside" this location ("" or "key/").
  std::string directory_prefix() const;
  // The key `name` would have inside this location as a directory.
  std::string child_key(std::string_view name) const;
};

// Throws UsageError for an unknown scheme or a malformed URI.
Location parse_location(std::string_view argument);

}  // namespace ronde::ckpt
