// ronde-ckpt checkpoints: the checkpoints under a root, newest first, committed or not.
#include <cstdio>
#include <iostream>

#include "args.h"
#include "checkpoint_root.h"
#include "checkpoint_verbs.h"
#include "exit_codes.h"
#include "ronde/core/error.h"

namespace ronde::ckpt {
namespace {

constexpr const char* kHelp =
    "usage: ronde-ckpt checkpoints URI\n"
    "\n"
    "Lists the checkpoints under the checkpoint root URI (the URI the job's Checkpointer was\n"
    "given), newest first: one line each with the step, the checkpoint's name, when its save\n"
    "began (UTC), the world size that saved it, its tensors (replicated and per-rank), its shard\n"
    "bytes and its status:\n"
    "  committed    it has a manifest: restore may use it\n"
    "  incomplete   a prefix without a manifest, left by a save that did not finish (restore\n"
    "               ignores it, retention deletes it); the other columns are '-', BYTES counts\n"
    "               what is there\n"
    "  unreadable   its manifest does not parse (the reason follows on stderr)\n"
    "\n"
    "  ronde-ckpt checkpoints s3://bucket/run-7\n"
    "\n"
    "Exit status: 0 listed, 3 no checkpoint prefix under URI, 2 usage, 1 failure,\n"
    "5 credentials refused.\n";

void print_row(const std::string& step, const std::string& name, const std::string& created, const std::string& ranks,
               const std::string& tensors, const std::string& bytes, const char* status) {
  std::printf("%12s  %-26s  %-24s  %5s  %7s  %14s  %s\n", step.c_str(), name.c_str(), created.c_str(), ranks.c_str(),
              tensors.c_str(), bytes.c_str(), status);
}

std::size_t tensor_count(const checkpoint::Manifest& manifest) {
  std::size_t count = manifest.tensors.size();
  for (const auto& rank : manifest.per_rank) count += rank.tensors.size();
  return count;
}

}  // namespace

int run_checkpoints(std::span<char* const> raw) {
  const Args args("checkpoints", raw, {{"--help", "-h"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("checkpoints: expected one URI");
  const CheckpointRoot root = open_checkpoint_root(args.positionals()[0]);
  const auto prefixes = list_checkpoint_prefixes(root);
  if (prefixes.empty()) {
    std::cerr << "ronde-ckpt: checkpoints: no checkpoint under " << root.argument << "\n";
    return kNotFound;
  }
  print_row("STEP", "CHECKPOINT", "CREATED", "RANKS", "TENSORS", "BYTES", "STATUS");
  std::size_t committed = 0;
  for (const auto& entry : prefixes) {
    const std::string step = std::to_string(entry.id.step);
    if (!entry.committed) {
      print_row(step, entry.id.name(), "-", "-", "-", std::to_string(entry.bytes), "incomplete");
      continue;
    }
    try {
      const checkpoint::Manifest manifest = read_manifest(root, entry.id);
      print_row(step, entry.id.name(), format_utc_millis(manifest.created), std::to_string(manifest.world_size),
                std::to_string(tensor_count(manifest)), std::to_string(manifest.total_bytes()), "committed");
      ++committed;
    } catch (const Error& error) {
      if (error.code() != ErrorCode::Corrupt) throw;
      print_row(step, entry.id.name(), "-", "-", "-", std::to_string(entry.bytes), "unreadable");
      std::cerr << "ronde-ckpt: checkpoints: " << error.message() << "\n";
    }
  }
  std::printf("total: %zu checkpoints, %zu committed\n", prefixes.size(), committed);
  return kOk;
}

}  // namespace ronde::ckpt
