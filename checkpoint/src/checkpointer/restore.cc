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
    return {false, error.code(), who + error.message(), ""};
  } catch (const std::exception& error) {
    return {false, ErrorCode::Internal, who + error.what(), ""};
  }
}

// Step 1 (rank 0).
Outcome choose(Storage& storage, const Logger& log) {
  for (const CheckpointId& id : list_committed(storage)) {
    Verified verified = verify_checkpoint(storage, id);
    if (verified.manifest) return {true, ErrorCode::Internal, "", id.name()};
    log.warn("checkpoint ", id.name(), " is not usable, trying an older one: ", verified.problem);
  }
  return {};
}

Manifest read_manifest(Storage& storage, const CheckpointId& id) {
  const std::vector<std::byte> bytes = storage.get_all(id.manifest_key());
  return parse_manifest(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                        storage.uri_of(id.manifest_key()));
}

}  // namespace

std::optional<std::int64_t> restore_latest(Storage& storage, RootChannel& channel, const Logger& log,
                                           CheckpointState& state, const std::optional<EncryptionKey>& key) {
  std::string choice_text;
  if (channel.rank() == 0) choice_text = encode(attempt("rank 0: ", [&] { return choose(storage, log); }));
  const Outcome choice = decode_outcome(channel.broadcast(std::move(choice_text)));
  if (!choice.ok) throw Error(choice.code, "restore from " + storage.uri() + " failed: " + choice.error);
  if (choice.checkpoint.empty()) {
    log.info("no checkpoint in ", storage.uri(), ": starting from scratch");
    return std::nullopt;
  }
  const CheckpointId id = parse_checkpoint_key(choice.checkpoint).value();

  const Outcome loaded = attempt("", [&] {
    load_state(storage, read_manifest(storage, id), channel.rank(), channel.size(), state, key);
    return Outcome{};
  });
  RankReport report;
  report.rank = channel.rank();
  report.ok = loaded.ok;
  report.code = loaded.code;
  report.error = loaded.error;
  const std::vector<std::string> reports = channel.gather(encode(report));
  std::string outcome_text;
  if (channel.rank() == 0) {
    std::vector<RankReport> decoded;
    for (const auto& text : reports) decoded.push_back(decode_report(text));
    outcome_text = encode(combine(decoded));
  }
  const Outcome outcome = decode_outcome(channel.broadcast(std::move(outcome_text)));
  if (!outcome.ok) {
    throw Error(outcome.code, "restore of checkpoint " + id.name() + " from " + storage.uri() + " failed: " +
                                  outcome.error);
  }
  log.info("restored checkpoint ", id.name(), " (step ", id.step, ") from ", storage.uri());
  return id.step;
}

}  // namespace ronde::checkpoint::detail
