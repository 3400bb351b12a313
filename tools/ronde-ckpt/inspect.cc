// ronde-ckpt inspect: one checkpoint's manifest, readably (or as its JSON).
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "args.h"
#include "checkpoint_root.h"
#include "checkpoint_verbs.h"
#include "exit_codes.h"
#include "ronde/core/tensor.h"
#include "step_option.h"

namespace ronde::ckpt {
namespace {

using checkpoint::Manifest;
using checkpoint::TensorEntry;

constexpr const char* kHelp =
    "usage: ronde-ckpt inspect [--step N] [--pieces] [--json] URI\n"
    "\n"
    "Prints the manifest of a checkpoint under the checkpoint root URI: its step, creation time\n"
    "(UTC) and world size; its client-side encryption if any (algorithm, frame size, key id); its\n"
    "shards (key, rank, bytes, checksum); its replicated tensors and\n"
    "each rank's per-rank tensors (name, dtype, shape, bytes, pieces); its optimizers (metadata and\n"
    "tensors); its metadata and its user JSON. It reads the manifest only: 'verify' checks shards.\n"
    "\n"
    "The checkpoint is the newest committed one, or with --step N the newest committed one of step\n"
    "N, or the one URI names when it ends in a checkpoint's name (.../ckpt-<step>-<nonce>).\n"
    "\n"
    "  --pieces   also list every tensor's pieces (shard, offset, length, tensor offset)\n"
    "  --json     print the manifest as JSON instead (re-serialised after parsing)\n"
    "\n"
    "  ronde-ckpt inspect s3://bucket/run-7 --step 1000\n"
    "\n"
    "Exit status: 0 printed, 3 no such checkpoint, 1 failure (also: a manifest that does not\n"
    "parse), 2 usage, 5 credentials refused.\n";

void print_tensors(const char* title, const std::vector<TensorEntry>& tensors, bool pieces) {
  std::printf("\n%s: %zu\n", title, tensors.size());
  if (tensors.empty()) return;
  std::printf("  %-40s  %-5s  %-18s  %14s  %s\n", "NAME", "DTYPE", "SHAPE", "BYTES", "PIECES");
  for (const auto& tensor : tensors) {
    std::printf("  %-40s  %-5s  %-18s  %14llu  %zu\n", tensor.name.c_str(), std::string(to_string(tensor.dtype)).c_str(),
                shape_to_string(tensor.shape).c_str(), static_cast<unsigned long long>(tensor.nbytes()),
                tensor.pieces.size());
    if (!pieces) continue;
    for (const auto& piece : tensor.pieces) {
      std::printf("      %s @%llu +%llu -> tensor byte %llu  %s\n", piece.shard.c_str(),
                  static_cast<unsigned long long>(piece.offset), static_cast<unsigned long long>(piece.length),
                  static_cast<unsigned long long>(piece.tensor_offset), piece.checksum.c_str());
    }
  }
}

void print_map(const std::map<std::string, std::string>& values, const char* indent) {
  for (const auto& [key, value] : values) std::printf("%s%s = %s\n", indent, key.c_str(), value.c_str());
}

void print_manifest(const Manifest& manifest, const std::string& uri, bool pieces) {
  std::printf("checkpoint   %s\n", manifest.id.name().c_str());
  std::printf("manifest     %s\n", uri.c_str());
  std::printf("step         %lld\n", static_cast<long long>(manifest.id.step));
  std::printf("created      %s\n", format_utc_millis(manifest.created).c_str());
  std::printf("world size   %d\n", manifest.world_size);
  if (manifest.encryption) {
    std::printf("encryption   %s, frames of %llu bytes, key id %s\n", manifest.encryption->algorithm.c_str(),
                static_cast<unsigned long long>(manifest.encryption->frame_bytes), manifest.encryption->key_id.c_str());
  }
  std::printf("bytes        %llu in %zu shards\n", static_cast<unsigned long long>(manifest.total_bytes()),
              manifest.shards.size());

  std::printf("\nshards: %zu\n", manifest.shards.size());
  if (!manifest.shards.empty()) std::printf("  %-24s  %5s  %14s  %s\n", "KEY", "RANK", "BYTES", "CHECKSUM");
  for (const auto& shard : manifest.shards) {
    std::printf("  %-24s  %5d  %14llu  %s\n", shard.key.c_str(), shard.rank, static_cast<unsigned long long>(shard.size),
                shard.checksum.c_str());
  }
  print_tensors("tensors (replicated)", manifest.tensors, pieces);
  for (const auto& rank : manifest.per_rank) {
    print_tensors(("per-rank tensors of rank " + std::to_string(rank.rank)).c_str(), rank.tensors, pieces);
  }
  std::printf("\noptimizers: %zu\n", manifest.optimizers.size());
  for (const auto& optimizer : manifest.optimizers) {
    std::printf("  %s: %zu tensors\n", optimizer.name.c_str(), optimizer.tensors.size());
    print_map(optimizer.metadata, "    ");
    for (const auto& tensor : optimizer.tensors) std::printf("    tensor %s\n", tensor.c_str());
  }
  std::printf("\nmetadata: %zu\n", manifest.metadata.size());
  print_map(manifest.metadata, "  ");
  std::printf("\nuser: %s\n", manifest.user_json.empty() ? "null" : manifest.user_json.c_str());
}

}  // namespace

int run_inspect(std::span<char* const> raw) {
  const StepOption step = take_step_option("inspect", raw);
  const Args args("inspect", step.rest, {{"--pieces", ""}, {"--json", ""}, {"--help", "-h"}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("inspect: expected one URI");
  const CheckpointRoot root = open_checkpoint_root(args.positionals()[0]);
  const checkpoint::CheckpointId id = select_checkpoint(root, step.step);
  const Manifest manifest = read_manifest(root, id);
  if (args.has("--json")) {
    std::cout << checkpoint::to_json(manifest) << "\n";
  } else {
    print_manifest(manifest, root.uri_of(id, checkpoint::kManifestName), args.has("--pieces"));
  }
  return kOk;
}

}  // namespace ronde::ckpt
