#include "checkpointer/persist.h"

#include <exception>
#include <span>

#include "checkpointer/messages.h"
#include "ckpt/frame_cipher.h"
#include "ronde/checkpoint/checksum.h"

namespace ronde::checkpoint::detail {
namespace {

std::span<const std::byte> range(const std::vector<std::byte>& bytes, std::uint64_t offset, std::uint64_t length) {
  return std::span<const std::byte>(bytes).subspan(offset, length);
}

// Puts one shard (if it has bytes) and records it in the report and in `written`.
// With a key, the shard is encrypted first and its entry describes the stored (encrypted) object.
void put_shard(Storage& storage, const CheckpointId& id, int rank, int index, const std::vector<std::byte>& bytes,
               SaveEncryption& encryption, RankReport& report, std::vector<std::string>& written) {
  if (bytes.empty()) return;
  const std::string name = shard_name(rank, index);
  const std::string key = id.key_of(name);
  ShardEntry entry;
  entry.key = name;
  entry.rank = rank;
  std::span<const std::byte> stored(bytes);
  if (encryption.key) {
    const ShardSalt salt = random_salt();
    FrameCipher cipher(*encryption.key, id.name(), name, salt, encryption.frame_bytes);
    cipher.encrypt_shard(bytes, encryption.buffer);
    stored = encryption.buffer;
    entry.encryption = ShardEncryption{salt_to_hex(salt), bytes.size()};
  }
  written.push_back(key);
  storage.put(key, stored);
  entry.size = stored.size();
  entry.checksum = checksum_hex(stored);
  report.shards.push_back(std::move(entry));
}

// Step 3: this rank's uploads; fills the report's shards, piece checksums and per-rank tensors.
void upload(Storage& storage, const CheckpointId& id, const Snapshot& snapshot, SaveEncryption& encryption,
            const std::atomic<bool>& superseded, RankReport& report, std::vector<std::string>& written) {
  const auto check_superseded = [&] {
    if (superseded) {
      throw Error(ErrorCode::Cancelled, "rank " + std::to_string(snapshot.rank) + " stopped its upload: the save of step " +
                                            std::to_string(snapshot.step) + " was superseded by a final checkpoint (save_now)");
    }
  };
  if (!snapshot.failure.empty()) throw Error(snapshot.failure_code, snapshot.failure);
  if (id.step != snapshot.step) {
    throw Error(ErrorCode::Mismatch, "rank " + std::to_string(snapshot.rank) + " saves step " +
                                         std::to_string(snapshot.step) + " but rank 0 saves step " +
                                         std::to_string(id.step) + " (checkpoint " + id.name() + ")");
  }
  for (const auto& piece : snapshot.plan[static_cast<std::size_t>(snapshot.rank)].pieces) {
    report.piece_checksums.push_back(checksum_hex(range(snapshot.replicated_bytes, piece.shard_offset, piece.length)));
  }
  report.per_rank = snapshot.per_rank;
  for (auto& tensor : report.per_rank) {
    for (auto& piece : tensor.pieces) {
      piece.checksum = checksum_hex(range(snapshot.per_rank_bytes, piece.offset, piece.length));
    }
  }
  check_superseded();
  put_shard(storage, id, snapshot.rank, kReplicatedShardIndex, snapshot.replicated_bytes, encryption, report, written);
  check_superseded();
  put_shard(storage, id, snapshot.rank, kPerRankShardIndex, snapshot.per_rank_bytes, encryption, report, written);
  check_superseded();
}

// Step 5 (rank 0): the manifest from every rank's report. Error(Mismatch) when a rank's replicated
// tensors differ from rank 0's.
Manifest build_manifest(const CheckpointId& id, const Snapshot& snapshot, const SaveEncryption& encryption,
                        const std::vector<RankReport>& reports) {
  Manifest manifest;
  manifest.id = id;
  manifest.created = snapshot.created;
  manifest.world_size = snapshot.world_size;
  if (encryption.key) {
    manifest.encryption = ManifestEncryption{std::string(kFramedAlgorithm), encryption.frame_bytes,
                                             encryption.key->id()};
  }
  const std::string descriptor = encryption.descriptor();
  manifest.tensors = snapshot.replicated;
  manifest.metadata = snapshot.metadata;
  manifest.user_json = snapshot.user_json;
  manifest.optimizers = snapshot.optimizers;
  for (const auto& report : reports) {
    if (report.layout_digest != snapshot.layout_digest) {
      throw Error(ErrorCode::Mismatch, "rank " + std::to_string(report.rank) +
                                           "'s replicated tensors (names, dtypes or shapes) differ from rank 0's");
    }
    if (report.encryption != descriptor) {
      const auto describe = [](const std::string& d) {
        return d.empty() ? std::string("no encryption key")
                         : "key id " + d.substr(0, d.find('/')) + " with frames of " + d.substr(d.find('/') + 1) +
                               " bytes";
      };
      throw Error(ErrorCode::Mismatch, "rank " + std::to_string(report.rank) + " encrypts with " +
                                           describe(report.encryption) + " but rank 0 with " + describe(descriptor) +
                                           " (every rank must use the same RONDE_CHECKPOINT_KEY_FILE/KEY)");
    }
    const auto& planned = snapshot.plan[static_cast<std::size_t>(report.rank)].pieces;
    if (planned.size() != report.piece_checksums.size()) {
      throw Error(ErrorCode::Internal, "rank " + std::to_string(report.rank) + " reported " +
                                           std::to_string(report.piece_checksums.size()) + " pieces, planned " +
                                           std::to_string(planned.size()));
    }
    const std::string shard = shard_name(report.rank, kReplicatedShardIndex);
    for (std::size_t i = 0; i < planned.size(); ++i) {
      for (auto& piece : manifest.tensors[planned[i].tensor].pieces) {
        if (piece.shard == shard && piece.tensor_offset == planned[i].tensor_offset) {
          piece.checksum = report.piece_checksums[i];
        }
      }
    }
    manifest.shards.insert(manifest.shards.end(), report.shards.begin(), report.shards.end());
    if (!report.per_rank.empty()) manifest.per_rank.push_back({report.rank, report.per_rank});
  }
  return manifest;
}

// Rank 0's decision: commit when every rank succeeded.
Outcome decide(Storage& storage, const CheckpointId& id, const Snapshot& snapshot, const SaveEncryption& encryption,
               const std::vector<std::string>& messages) {
  std::vector<RankReport> reports;
  for (const auto& message : messages) reports.push_back(decode_report(message));
  Outcome outcome = combine(reports);
  if (!outcome.ok) return outcome;
  try {
    const std::string json = to_json(build_manifest(id, snapshot, encryption, reports));
    PutOptions create_only;
    create_only.create_only = true;
    create_only.content_type = "application/json";
    storage.put(id.manifest_key(), std::as_bytes(std::span<const char>(json.data(), json.size())), create_only);
  } catch (const Error& error) {
    return Outcome::failed(error.code(), "rank 0: " + error.message());
  }
  outcome.checkpoint = id.name();
  return outcome;
}

void remove_written(Storage& storage, const std::vector<std::string>& written, const Logger& log) {
  if (written.empty()) return;
  try {
    storage.remove_all(written);
  } catch (const std::exception& error) {
    log.warn("could not remove the shards of a failed checkpoint save: ", error.what());
  }
}

}  // namespace

std::string SaveEncryption::descriptor() const {
  return key ? key->id() + "/" + std::to_string(frame_bytes) : std::string();
}

CheckpointId persist(Storage& storage, RootChannel& channel, const Logger& log, const Snapshot& snapshot,
                     SaveEncryption& encryption, const std::atomic<bool>& superseded) {
  // Step 2: rank 0 names the checkpoint.
  std::string name;
  if (channel.rank() == 0) name = CheckpointId::generate(snapshot.step).name();
  name = channel.broadcast(std::move(name));
  const std::optional<CheckpointId> id = parse_checkpoint_key(name);
  if (!id) throw Error(ErrorCode::Internal, "checkpointer: rank 0 sent a malformed checkpoint name '" + name + "'");

  // Step 3: uploads. Any failure becomes this rank's report, never an early exit.
  RankReport report;
  report.rank = snapshot.rank;
  report.layout_digest = snapshot.layout_digest;
  report.encryption = encryption.descriptor();
  std::vector<std::string> written;
  try {
    upload(storage, *id, snapshot, encryption, superseded, report, written);
  } catch (const Error& error) {
    report.ok = false;
    report.code = error.code();
    report.error = error.message();
  } catch (const std::exception& error) {
    report.ok = false;
    report.code = ErrorCode::Internal;
    report.error = error.what();
  }

  // Steps 4-6: reports to rank 0, the manifest, the outcome to everyone.
  const std::vector<std::string> reports = channel.gather(encode(report));
  std::string outcome_text;
  if (channel.rank() == 0) {
    Outcome decision;
    try {
      decision = decide(storage, *id, snapshot, encryption, reports);
    } catch (const Error& error) {
      decision = Outcome::failed(error.code(), "rank 0: " + error.message());
    } catch (const std::exception& error) {
      decision = Outcome::failed(ErrorCode::Internal, std::string("rank 0: ") + error.what());
    }
    outcome_text = encode(decision);
  }
  const Outcome outcome = decode_outcome(channel.broadcast(std::move(outcome_text)));
  if (!outcome.ok) {
    remove_written(storage, written, log);
    throw Error(outcome.code, "checkpoint " + id->name() + " (step " + std::to_string(id->step) +
                                  ") was not saved: " + outcome.error);
  }
  return *id;
}

}  // namespace ronde::checkpoint::detail
