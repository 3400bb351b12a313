// ronde-ckpt ls: the objects under a URI, with size and time, and their totals.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <set>

#include "args.h"
#include "exit_codes.h"
#include "location.h"
#include "progress_meter.h"
#include "ronde/checkpoint/storage.h"
#include "verbs.h"

namespace ronde::ckpt {

namespace {

constexpr const char* kHelp =
    "usage: ronde-ckpt ls [-r|--recursive] URI\n"
    "\n"
    "Lists the objects whose keys start with URI's key: one line per object with its time of\n"
    "last modification (UTC), its size in bytes and its key, then a 'total' line. Without -r,\n"
    "keys that continue past the next '/' are folded into one 'DIR name/' line, like a directory\n"
    "listing; with -r every object is shown. Names are relative to the URI's last '/'.\n"
    "A URI ending in '/' (or a local directory) lists what is inside it.\n"
    "\n"
    "  ronde-ckpt ls s3://bucket/run-7/\n"
    "  ronde-ckpt ls -r /data/checkpoints\n"
    "\n"
    "Exit status: 0 listed, 3 nothing matched, 2 usage, 1 failure, 5 credentials refused.\n";

std::string utc_time(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace

int run_ls(std::span<char* const> raw) {
  const Args args("ls", raw, {{"--recursive", "-r"}, {"--help", "-h"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("ls: expected one URI");
  const Location location = parse_location(args.positionals()[0]);
  const std::string prefix = location.names_directory() ? location.directory_prefix() : location.key;
  const std::size_t base = prefix.rfind('/') == std::string::npos ? 0 : prefix.rfind('/') + 1;

  auto storage = checkpoint::open_storage(location.root_uri);
  const auto objects = storage->list(prefix);
  std::set<std::string> directories;
  std::uint64_t bytes = 0;
  for (const auto& object : objects) {
    bytes += object.size;
    const std::size_t slash = object.key.find('/', prefix.size());
    if (!args.has("--recursive") && slash != std::string::npos) {
      const std::string directory = object.key.substr(base, slash + 1 - base);
      if (directories.insert(directory).second) std::printf("%20s  %14s  %s\n", "", "DIR", directory.c_str());
      continue;
    }
    std::printf("%20s  %14llu  %s\n", utc_time(object.last_modified).c_str(),
                static_cast<unsigned long long>(object.size), object.key.substr(base).c_str());
  }
  if (objects.empty()) {
    std::cerr << "ronde-ckpt: ls: nothing at " << location.argument << "\n";
    return kNotFound;
  }
  std::printf("total: %zu objects, %llu bytes (%s)\n", objects.size(), static_cast<unsigned long long>(bytes),
              human_bytes(static_cast<double>(bytes)).c_str());
  return kOk;
}

}  // namespace ronde::ckpt
