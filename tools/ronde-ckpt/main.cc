// ronde-ckpt: lists, copies and removes checkpoint objects in any storage ronde opens
// (s3://, file://, local paths), and lists, inspects and verifies checkpoints. Exit codes:
// exit_codes.h, checkpoint_verbs.h and docs/STORAGE.md.
#include <cstring>
#include <iostream>
#include <span>
#include <string_view>

#include "checkpoint_verbs.h"
#include "exit_codes.h"
#include "ronde/core/error.h"
#include "verbs.h"

namespace {

using namespace ronde::ckpt;

constexpr const char* kHelp =
    "usage: ronde-ckpt VERB [OPTIONS] ARGS...\n"
    "\n"
    "Works on checkpoint objects in S3-compatible storage (s3://bucket/key), in local directories\n"
    "(file:///path) and on local files (plain paths).\n"
    "\n"
    "Verbs:\n"
    "  ls URI          list objects under URI with size, time and totals\n"
    "  cp SRC DST      copy objects between local files and URIs, in any direction\n"
    "  rm URI...       remove objects (--prefix: everything under a prefix)\n"
    "  checkpoints URI list the checkpoints under a checkpoint root, newest first (alias: list)\n"
    "  latest URI      the newest committed checkpoint's URI (--step: its step)\n"
    "  inspect URI     print a checkpoint's manifest (--step N: of step N)\n"
    "  verify URI      check a checkpoint's shards' sizes and checksums (--step N, --all)\n"
    "  prune URI       delete old checkpoints by the retention rules (--keep-last N, --dry-run)\n"
    "  help [VERB]     this text, or a verb's own (also: ronde-ckpt VERB --help)\n"
    "\n"
    "S3 URIs take ?endpoint=URL&region=NAME&addressing=path|virtual; credentials, region and\n"
    "endpoint otherwise come from the AWS environment, and transfer settings from the\n"
    "RONDE_STORAGE_* and RONDE_S3_* variables (docs/STORAGE.md, docs/KNOBS.md).\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  the operation failed (storage, network or I/O error)\n"
    "  2  usage error (bad option, URI or key)\n"
    "  3  not found (object, prefix or file)\n"
    "  4  already exists (cp --no-clobber)\n"
    "  5  credentials refused\n"
    "  6  verify found an invalid checkpoint (bad shard or manifest)\n";

int run_verb(std::string_view verb, std::span<char* const> args) {
  if (verb == "ls") return run_ls(args);
  if (verb == "cp") return run_cp(args);
  if (verb == "rm") return run_rm(args);
  if (verb == "checkpoints" || verb == "list") return run_checkpoints(args);
  if (verb == "latest") return run_latest(args);
  if (verb == "inspect") return run_inspect(args);
  if (verb == "verify") return run_verify(args);
  if (verb == "prune") return run_prune(args);
  throw UsageError("unknown verb '" + std::string(verb) + "'");
}

}  // namespace

int main(int argc, char** argv) {
  const std::span<char* const> args(argv + 1, static_cast<std::size_t>(argc - 1));
  if (args.empty()) {
    std::cerr << kHelp;
    return kUsage;
  }
  const std::string_view verb = args[0];
  try {
    if (verb == "--help" || verb == "-h" || (verb == "help" && args.size() == 1)) {
      std::cout << kHelp;
      return kOk;
    }
    if (verb == "help") {
      char help[] = "--help";
      char* help_args[] = {help};
      return run_verb(args[1], help_args);
    }
    return run_verb(verb, args.subspan(1));
  } catch (const UsageError& error) {
    std::cerr << "ronde-ckpt: " << error.what() << " (try ronde-ckpt --help)\n";
    return kUsage;
  } catch (const ronde::Error& error) {
    std::cerr << "ronde-ckpt: " << error.what() << "\n";
    return exit_code_of(error);
  } catch (const std::exception& error) {
    std::cerr << "ronde-ckpt: " << error.what() << "\n";
    return kFailed;
  }
}
