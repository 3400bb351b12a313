// ronde-ckpt prune: the checkpointer's retention rules, applied by hand to a checkpoint root.
#include <charconv>
#include <cstdio>
#include <iostream>
#include <vector>

#include "args.h"
#include "checkpoint_root.h"
#include "checkpoint_verbs.h"
#include "checkpointer/retention.h"
#include "exit_codes.h"
#include "ronde/core/error.h"
#include "ronde/core/logging.h"

namespace ronde::ckpt {
namespace {

constexpr const char* kHelp =
    "usage: ronde-ckpt prune URI --keep-last N [--keep-every M] [--dry-run]\n"
    "\n"
    "Applies the Checkpointer's retention rules to the checkpoint root URI (docs/CHECKPOINTS.md):\n"
    "keeps the newest N committed checkpoints, those whose step is a multiple of M, and always the\n"
    "newest; deletes every other committed checkpoint manifest first (so it stops existing before\n"
    "its shards go); removes incomplete prefixes (no manifest) older than the newest committed\n"
    "checkpoint, and aborts their unfinished uploads. --dry-run prints what would go and removes\n"
    "nothing. Do not prune a root while its job is saving to it with other retention settings.\n"
    "\n"
    "  ronde-ckpt prune s3://bucket/run-7 --keep-last 3 --keep-every 1000 --dry-run\n"
    "\n"
    "Exit status: 0 pruned (or nothing to prune), 3 no committed checkpoint under URI, 2 usage,\n"
    "1 a removal failed (the others were made), 5 credentials refused.\n";

// Takes "--NAME V" / "--NAME=V" (a count >= 0) out of `args`; UsageError for a bad or repeated one.
std::optional<std::int64_t> take_count(std::string_view name, std::vector<char*>& args) {
  std::optional<std::int64_t> result;
  std::vector<char*> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    std::optional<std::string_view> value;
    if (arg == name) {
      if (i + 1 == args.size()) throw UsageError("prune: " + std::string(name) + " needs a value");
      value = std::string_view(args[++i]);
    } else if (arg.starts_with(std::string(name) + "=")) {
      value = arg.substr(name.size() + 1);
    }
    if (!value) {
      rest.push_back(args[i]);
      continue;
    }
    std::int64_t count = -1;
    const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), count);
    if (value->empty() || error != std::errc() || end != value->data() + value->size() || count < 0) {
      throw UsageError("prune: " + std::string(name) + " needs a count >= 0, not '" + std::string(*value) + "'");
    }
    if (result) throw UsageError("prune: " + std::string(name) + " given twice");
    result = count;
  }
  args = std::move(rest);
  return result;
}

}  // namespace

int run_prune(std::span<char* const> raw) {
  std::vector<char*> rest(raw.begin(), raw.end());
  const auto keep_last = take_count("--keep-last", rest);
  const auto keep_every = take_count("--keep-every", rest);
  const Args args("prune", rest, {{"--help", "-h"}, {"--dry-run", ""}});
  if (args.has("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("prune: expected one URI");
  if (!keep_last || *keep_last == 0) {
    throw UsageError("prune: --keep-last N (N >= 1) is required: prune never deletes every checkpoint but the newest by default");
  }
  const CheckpointRoot root = open_checkpoint_root(args.positionals()[0]);
  if (root.named) throw UsageError("prune: give the checkpoint root, not one checkpoint (" + root.named->name() + ")");

  const checkpoint::CheckpointId newest = select_checkpoint(root, std::nullopt);
  const checkpoint::detail::RetentionPolicy policy{static_cast<int>(*keep_last), keep_every.value_or(0)};
  const auto plan = checkpoint::detail::plan_retention(*root.storage, policy, newest, root.prefix);
  const bool dry_run = args.has("--dry-run");
  std::uint64_t bytes = 0;
  for (const auto& removal : plan.removals) {
    std::printf("%s %s  step %lld  %s  %llu bytes\n", dry_run ? "would remove" : "removing", removal.id.name().c_str(),
                static_cast<long long>(removal.id.step), removal.committed ? "committed" : "incomplete",
                static_cast<unsigned long long>(removal.bytes));
    bytes += removal.bytes;
  }
  for (const auto& upload : plan.stale_uploads) {
    std::printf("%s the unfinished upload of %s\n", dry_run ? "would abort" : "aborting", upload.key.c_str());
  }
  std::printf("%s %zu checkpoint prefixes (%llu bytes), %zu unfinished uploads; newest kept: %s\n",
              dry_run ? "would remove" : "removed", plan.removals.size(), static_cast<unsigned long long>(bytes),
              plan.stale_uploads.size(), newest.name().c_str());
  if (dry_run) return kOk;
  const Logger log(LogLevel::Warn, "ronde-ckpt prune");
  return checkpoint::detail::carry_out(*root.storage, plan, log) == 0 ? kOk : kFailed;
}

}  // namespace ronde::ckpt
