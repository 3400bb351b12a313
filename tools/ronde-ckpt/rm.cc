// ronde-ckpt rm: removes objects, or every object under a prefix.
#include <iostream>
#include <vector>

#include "args.h"
#include "exit_codes.h"
#include "location.h"
#include "ronde/checkpoint/storage.h"
#include "verbs.h"

namespace ronde::ckpt {

namespace {

constexpr const char* kHelp =
    "usage: ronde-ckpt rm [-f|--force] URI...\n"
    "       ronde-ckpt rm --prefix [-f|--force] URI...\n"
    "\n"
    "Removes the objects named. With --prefix, removes every object whose key starts with URI's\n"
    "key (for a local directory or a URI ending in '/': everything inside it); a bucket or '/' as\n"
    "a whole is refused. An object that does not exist is an error (exit 3, after removing the\n"
    "others) unless -f is given.\n"
    "\n"
    "  ronde-ckpt rm s3://bucket/run-7/step-100/manifest.json\n"
    "  ronde-ckpt rm --prefix s3://bucket/run-7/step-100/\n"
    "\n"
    "Exit status: 0 removed, 3 something named did not exist, 2 usage, 1 failure,\n"
    "5 credentials refused.\n";

// Returns whether anything was there to remove.
bool remove_prefix(const Location& location) {
  const std::string prefix = location.names_directory() ? location.directory_prefix() : location.key;
  if (prefix.empty()) throw UsageError("rm --prefix: refusing to remove everything in " + location.root_uri);
  auto storage = checkpoint::open_storage(location.root_uri);
  const auto objects = storage->list(prefix);
  std::vector<std::string> keys;
  keys.reserve(objects.size());
  for (const auto& object : objects) keys.push_back(object.key);
  storage->remove_all(keys);
  std::cout << "removed " << keys.size() << " objects under " << location.argument << "\n";
  return !keys.empty();
}

bool remove_object(const Location& location, bool force) {
  if (location.key.empty() || location.trailing_slash) {
    throw UsageError("rm: '" + location.argument + "' names a prefix, not an object (use --prefix)");
  }
  auto storage = checkpoint::open_storage(location.root_uri);
  const bool existed = force || storage->try_head(location.key).has_value();
  storage->remove(location.key);
  return existed;
}

}  // namespace

int run_rm(std::span<char* const> raw) {
  const Args args("rm", raw, {{"--prefix", ""}, {"--force", "-f"}, {"--help", "-h"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positionals().empty()) throw UsageError("rm: expected at least one URI");
  std::vector<Location> locations;
  for (const std::string& argument : args.positionals()) locations.push_back(parse_location(argument));

  int status = kOk;
  for (const Location& location : locations) {
    const bool existed = args.has("--prefix") ? remove_prefix(location) : remove_object(location, args.has("--force"));
    if (!existed && !args.has("--force")) {
      std::cerr << "ronde-ckpt: rm: no such object" << (args.has("--prefix") ? "s under " : " ") << location.argument
                << "\n";
      status = kNotFound;
    }
  }
  return status;
}

}  // namespace ronde::ckpt
