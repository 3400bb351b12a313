// ronde-ckpt verify: reads every shard of checkpoints and checks its size and XXH3 checksum
// against the manifest, reporting every shard that is wrong (not only the first).
#include <cstdio>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "args.h"
#include "checkpoint_root.h"
#include "checkpoint_verbs.h"
#include "exit_codes.h"
#include "ronde/checkpoint/checksum.h"
#include "ronde/core/error.h"
#include "step_option.h"

namespace ronde::ckpt {
namespace {

using checkpoint::CheckpointId;
using checkpoint::ShardEntry;

constexpr const char* kHelp =
    "usage: ronde-ckpt verify [--step N | --all] URI\n"
    "\n"
    "Checks checkpoints under the checkpoint root URI as restore would: the manifest parses (every\n"
    "field, every byte range), and every shard it lists exists, has the recorded size, and reads\n"
    "back with the recorded XXH3 checksum. Every shard is read in full. Each checkpoint gets one\n"
    "line, 'OK' or 'INVALID', and each problem a line naming the checkpoint, the shard and its URI.\n"
    "\n"
    "The checkpoint is the newest committed one, or with --step N the newest committed one of step\n"
    "N, or the one URI names when it ends in a checkpoint's name (.../ckpt-<step>-<nonce>).\n"
    "  --all   every committed checkpoint (prefixes without a manifest are listed and skipped)\n"
    "\n"
    "  ronde-ckpt verify --all s3://bucket/run-7\n"
    "\n"
    "Exit status: 0 every checkpoint checked is valid, 6 at least one is not (a shard missing, of\n"
    "another size or checksum, or a manifest that does not parse), 3 no such checkpoint, 2 usage,\n"
    "1 failure (storage, network), 5 credentials refused.\n";

// What is wrong with `shard` of checkpoint `id`, or nullopt when it matches its entry.
std::optional<std::string> check_shard(const CheckpointRoot& root, const CheckpointId& id, const ShardEntry& shard) {
  const std::string key = root.key_of(id, shard.key);
  const std::string where = "shard '" + shard.key + "' (" + root.storage->uri_of(key) + ")";
  const auto info = root.storage->try_head(key);
  if (!info) return where + " is missing";
  if (info->size != shard.size) {
    return where + " has " + std::to_string(info->size) + " bytes, the manifest records " + std::to_string(shard.size);
  }
  checkpoint::Checksum sum;
  try {
    root.storage->get_stream(key, [&](std::span<const std::byte> bytes) { sum.update(bytes); });
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) throw;
    return where + " disappeared while being read";
  }
  if (sum.bytes() != shard.size) {
    return where + " read back " + std::to_string(sum.bytes()) + " bytes, the manifest records " +
           std::to_string(shard.size);
  }
  if (sum.hex() != shard.checksum) return where + " has checksum " + sum.hex() + ", the manifest records " + shard.checksum;
  return std::nullopt;
}

// Checks checkpoint `id`, prints its lines, and returns whether it is valid.
bool verify_one(const CheckpointRoot& root, const CheckpointId& id) {
  const std::string name = id.name();
  checkpoint::Manifest manifest;
  try {
    manifest = read_manifest(root, id);
  } catch (const Error& error) {
    if (error.code() != ErrorCode::Corrupt && error.code() != ErrorCode::NotFound) throw;
    std::printf("%s  INVALID\n  %s: manifest: %s\n", name.c_str(), name.c_str(), error.message().c_str());
    return false;
  }
  std::vector<std::string> problems;
  if (!(manifest.id == id)) {
    problems.push_back("manifest " + root.uri_of(id, checkpoint::kManifestName) + " describes checkpoint " +
                       manifest.id.name());
  }
  for (const auto& shard : manifest.shards) {
    if (auto problem = check_shard(root, id, shard)) problems.push_back(std::move(*problem));
  }
  if (problems.empty()) {
    std::printf("%s  OK  (%zu shards, %llu bytes)\n", name.c_str(), manifest.shards.size(),
                static_cast<unsigned long long>(manifest.total_bytes()));
    return true;
  }
  std::printf("%s  INVALID\n", name.c_str());
  for (const auto& problem : problems) std::printf("  %s: %s\n", name.c_str(), problem.c_str());
  return false;
}

}  // namespace

int run_verify(std::span<char* const> raw) {
  const StepOption step = take_step_option("verify", raw);
  const Args args("verify", step.rest, {{"--all", ""}, {"--help", "-h"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("verify: expected one URI");
  if (args.has("--all") && step.step) throw UsageError("verify: --step and --all exclude each other");
  const CheckpointRoot root = open_checkpoint_root(args.positionals()[0]);

  std::vector<CheckpointId> chosen;
  if (args.has("--all")) {
    for (const auto& entry : list_checkpoint_prefixes(root)) {
      if (entry.committed) {
        chosen.push_back(entry.id);
      } else {
        std::printf("%s  skipped: incomplete (no manifest)\n", entry.id.name().c_str());
      }
    }
    if (chosen.empty()) throw Error(ErrorCode::NotFound, "no committed checkpoint under " + root.argument);
  } else {
    chosen.push_back(select_checkpoint(root, step.step));
  }
  std::size_t invalid = 0;
  for (const auto& id : chosen) invalid += verify_one(root, id) ? 0 : 1;
  std::fflush(stdout);
  if (invalid == 0) return kOk;
  std::cerr << "ronde-ckpt: verify: " << invalid << " of " << chosen.size() << " checkpoints under " << root.argument
            << " are invalid\n";
  return kCheckpointInvalid;
}

}  // namespace ronde::ckpt
