// ronde-ckpt cp: copies objects between local files, file:// and s3:// URIs, in any direction.
#include <iostream>

#include "args.h"
#include "exit_codes.h"
#include "location.h"
#include "progress_meter.h"
#include "ronde/checkpoint/storage.h"
#include "transfer.h"
#include "verbs.h"

namespace ronde::ckpt {

namespace {

constexpr const char* kHelp =
    "usage: ronde-ckpt cp [-r|--recursive] [-n|--no-clobber] [--progress] SRC DST\n"
    "\n"
    "Copies the object SRC to DST. Each is an s3://bucket/key URI, a file:///path URI or a local\n"
    "path; any direction works (upload, download, s3 to s3, file to file). The destination is\n"
    "written atomically: it appears whole or not at all. When DST ends in '/' or is an existing\n"
    "local directory, the copy is DST/<last segment of SRC>.\n"
    "\n"
    "  -r, --recursive   SRC is a prefix: copy every object under SRC/ to the same relative key\n"
    "                    under DST/\n"
    "  -n, --no-clobber  fail (exit 4) instead of replacing an existing destination object\n"
    "  --progress        show progress on stderr even when it is not a terminal\n"
    "\n"
    "  ronde-ckpt cp model.bin s3://bucket/run-7/model.bin\n"
    "  ronde-ckpt cp -r s3://bucket/run-7/step-100 /data/restore/\n"
    "\n"
    "Exit status: 0 copied, 3 SRC not found, 4 DST exists (--no-clobber), 2 usage, 1 failure,\n"
    "5 credentials refused.\n";

std::string last_segment(const std::string& key) { return key.substr(key.rfind('/') + 1); }

}  // namespace

int run_cp(std::span<char* const> raw) {
  const Args args("cp", raw, {{"--recursive", "-r"}, {"--no-clobber", "-n"}, {"--progress", ""}, {"--help", "-h"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positionals().size() != 2) throw UsageError("cp: expected SRC and DST");
  const Location from = parse_location(args.positionals()[0]);
  const Location to = parse_location(args.positionals()[1]);
  const CopyOptions options{.create_only = args.has("--no-clobber"), .progress = progress_wanted(args.has("--progress"))};

  auto source = checkpoint::open_storage(from.root_uri);
  auto destination = checkpoint::open_storage(to.root_uri);
  const auto local_file = [&](const std::string& key) -> std::optional<std::filesystem::path> {
    if (!from.local_path) return std::nullopt;
    return std::filesystem::path("/") / key;
  };

  if (!args.has("--recursive")) {
    if (from.key.empty() || from.trailing_slash || (from.local_path && from.names_directory())) {
      throw UsageError("cp: '" + from.argument + "' is a directory or prefix (use -r)");
    }
    const std::string target = to.names_directory() ? to.child_key(last_segment(from.key)) : to.key;
    if (target.empty()) throw UsageError("cp: '" + to.argument + "' names no object");
    copy_object({source.get(), from.key, local_file(from.key)}, *destination, target, options);
    return kOk;
  }

  const std::string prefix = from.directory_prefix();
  const auto objects = source->list(prefix);
  if (objects.empty()) {
    std::cerr << "ronde-ckpt: cp: nothing under " << from.argument << "\n";
    return kNotFound;
  }
  std::uint64_t bytes = 0;
  for (const auto& object : objects) {
    const std::string target = to.child_key(object.key.substr(prefix.size()));
    bytes += copy_object({source.get(), object.key, local_file(object.key)}, *destination, target, options);
  }
  std::cerr << "copied " << objects.size() << " objects, " << human_bytes(static_cast<double>(bytes)) << "\n";
  return kOk;
}

}  // namespace ronde::ckpt
