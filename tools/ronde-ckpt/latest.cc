// ronde-ckpt latest: the newest committed checkpoint of a root, for scripts.
#include <cstdio>
#include <iostream>

#include "args.h"
#include "checkpoint_root.h"
#include "checkpoint_verbs.h"
#include "exit_codes.h"

namespace ronde::ckpt {
namespace {

constexpr const char* kHelp =
    "usage: ronde-ckpt latest [--step] URI\n"
    "\n"
    "Prints the URI of the newest committed checkpoint under the checkpoint root URI (the one\n"
    "restore_latest tries first), or with --step only its step. Incomplete prefixes are skipped;\n"
    "the checkpoint's shards are not read (ronde-ckpt verify checks them).\n"
    "\n"
    "  step=$(ronde-ckpt latest --step s3://bucket/run-7) || echo \"no checkpoint yet\"\n"
    "\n"
    "Exit status: 0 printed, 3 no committed checkpoint under URI, 2 usage, 1 failure,\n"
    "5 credentials refused.\n";

}  // namespace

int run_latest(std::span<char* const> raw) {
  const Args args("latest", raw, {{"--help", "-h"}, {"--step", ""}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("latest: expected one URI");
  const CheckpointRoot root = open_checkpoint_root(args.positionals()[0]);
  const checkpoint::CheckpointId newest = select_checkpoint(root, std::nullopt);
  if (args.has("--step")) {
    std::printf("%lld\n", static_cast<long long>(newest.step));
  } else {
    std::printf("%s\n", root.storage->uri_of(root.prefix + newest.name()).c_str());
  }
  return kOk;
}

}  // namespace ronde::ckpt
