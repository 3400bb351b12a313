#include "checkpointer/restore.h"

#include <exception>

#include "checkpointer/load_state.h"
#include "checkpointer/messages.h"
#include "checkpointer/verify.h"

namespace ronde::checkpoint::detail {
namespace {

// Runs `action`; its error as a failed outcome, the message prefixed with `who`.
template <class Fn>
Outcome attempt(const std::string& who, Fn&& action) {
  try {
    return action();
  } catch (const Error& error) {
    return Outcome::failed(error.code(), who + error.message());
  } catch (const std::exception& error) {
    return Outcome::failed(ErrorCode::Internal, who + error.what());
  }
}

// Step 1: the committed checkpoints, newest first (rank 0 lists them and sends the list).
std::vector<std::string> candidates(Storage& storage, RootChannel& channel) {
  std::string text;
  if (channel.rank() == 0) {
    text = encode(attempt("rank 0: ", [&] {
      Outcome listed;
      for (const CheckpointId& id : list_committed(storage)) listed.candidates.push_back(id.name());
      return listed;
    }));
  }
  const Outcome listed = decode_outcome(channel.broadcast(std::move(text)));
  if (!listed.ok) throw Error(listed.code, "restore from " + storage.uri() + " failed: " + listed.error);
  return listed.candidates;
}

// This rank's report of an attempt's outcome; `problem` (a reason the checkpoint is not usable,
// which is not an error) goes with a successful one.
RankReport report_of(int rank, const Outcome& outcome, const std::string& problem = "") {
  RankReport report;
  report.rank = rank;
  report.ok = outcome.ok;
  report.code = outcome.code;
  report.error = outcome.ok ? problem : outcome.error;
  return report;
}

// Sends this rank's `report` to rank 0, which makes the collective outcome of all reports with
// `decide`; every rank returns the outcome rank 0 sends back.
template <class Decide>
Outcome agree(RootChannel& channel, const RankReport& report, Decide&& decide) {
  const std::vector<std::string> reports = channel.gather(encode(report));
  std::string text;
  if (channel.rank() == 0) {
    std::vector<RankReport> decoded;
    for (const auto& report_text : reports) decoded.push_back(decode_report(report_text));
    text = encode(decide(decoded));
  }
  return decode_outcome(channel.broadcast(std::move(text)));
}

// Step 1: whether checkpoint `name` is sound. Every rank checks its share of the shards
// (verify_checkpoint's part `rank` of `size`) and reports to rank 0, which logs a warning naming
// the first problem found and sends the verdict: the name when every share is sound, empty (with
// the problem in `error`) when the checkpoint is not usable, or the error of a rank whose storage
// failed.
Outcome verify_together(Storage& storage, RootChannel& channel, const Logger& log, const std::string& name) {
  const CheckpointId id = parse_checkpoint_key(name).value();
  std::string problem;
  const Outcome checked = attempt("", [&] {
    problem = verify_checkpoint(storage, id, static_cast<std::size_t>(channel.rank()),
                                static_cast<std::size_t>(channel.size()))
                  .problem;
    return Outcome{};
  });
  return agree(channel, report_of(channel.rank(), checked, problem), [&](const std::vector<RankReport>& shares) {
    Outcome verdict = combine(shares);
    if (!verdict.ok) return verdict;
    for (const RankReport& share : shares) {
      if (share.error.empty()) continue;
      log.warn("checkpoint ", name, " is not usable, trying an older one: ", share.error);
      verdict.error = share.error;
      return verdict;  // ok, no checkpoint: try the next
    }
    verdict.checkpoint = name;
    return verdict;
  });
}

Manifest read_manifest(Storage& storage, const CheckpointId& id) {
  const std::vector<std::byte> bytes = storage.get_all(id.manifest_key());
  return parse_manifest(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                        storage.uri_of(id.manifest_key()));
}

}  // namespace

std::optional<std::int64_t> restore_latest(Storage& storage, RootChannel& channel, const Logger& log,
                                           CheckpointState& state, const std::optional<EncryptionKey>& key) {
  std::string chosen, newest_problem;
  const std::vector<std::string> names = candidates(storage, channel);
  for (const std::string& name : names) {
    const Outcome verdict = verify_together(storage, channel, log, name);
    if (!verdict.ok) throw Error(verdict.code, "restore from " + storage.uri() + " failed: " + verdict.error);
    if (!verdict.checkpoint.empty()) {
      chosen = verdict.checkpoint;
      break;
    }
    if (newest_problem.empty()) newest_problem = name + ": " + verdict.error;
  }
  if (names.empty()) {
    log.info("no checkpoint in ", storage.uri(), ": starting from scratch");
    return std::nullopt;
  }
  if (chosen.empty()) {
    // Starting from scratch would lose their progress (and retention would later delete them).
    throw Error(ErrorCode::Corrupt,
                "none of the " + std::to_string(names.size()) + " committed checkpoints in " + storage.uri() +
                    " is usable (the newest, " + newest_problem + "); refusing to start from scratch over them. "
                    "If each host keeps its own checkpoint directory, every host must start with the union of "
                    "all hosts' files (docs/CHECKPOINTS.md, \"Per-host checkpoint directories\"); to start afresh, "
                    "move them away (ronde-ckpt rm)");
  }
  const CheckpointId id = parse_checkpoint_key(chosen).value();

  const Outcome loaded = attempt("", [&] {
    load_state(storage, read_manifest(storage, id), channel.rank(), channel.size(), state, key);
    return Outcome{};
  });
  const Outcome outcome = agree(channel, report_of(channel.rank(), loaded), combine);
  if (!outcome.ok) {
    throw Error(outcome.code, "restore of checkpoint " + id.name() + " from " + storage.uri() + " failed: " +
                                  outcome.error);
  }
  log.info("restored checkpoint ", id.name(), " (step ", id.step, ") from ", storage.uri());
  return id.step;
}

}  // namespace ronde::checkpoint::detail
