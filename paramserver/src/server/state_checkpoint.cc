#include "server/state_checkpoint.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "ronde/core/topology.h"
#include "ronde/ps/shard_map.h"
#include "server/json_fields.h"

namespace ronde::ps::server {
namespace {

constexpr const char* kRecordFormat = "ronde-ps-server-state";
constexpr int kRecordVersion = 1;

// A single-process context that ignores the launcher and SageMaker variables: a parameter server
// checkpoints alone, whatever job it runs in.
Context single_process_context(const Logger& log, const Environment& no_variables) {
  InitOptions options;
  options.launcher = InitOptions::Launcher::Single;
  options.log_level = log.level();
  options.environment = &no_variables;
  options.sagemaker_root = "/nonexistent/ronde-ps-server";
  return init(options);
}

std::string aggregation_name(Aggregation aggregation) { return aggregation == Aggregation::Mean ? "mean" : "sum"; }

// One unit's part in a save (StateCheckpointer::save): taken with the unit's lock held.
template <class Unit>
struct Snapshot {
  std::shared_ptr<Unit> unit;
  std::vector<std::uint64_t> sequences;  // the ledger's last sequences the snapshot holds
  std::uint64_t committed_version;       // checkpointed_version before this save

  // The checkpoint holding the snapshot is committed: its sequences are durable.
  void committed() const {
    std::lock_guard<std::mutex> lock(unit->mutex);
    auto& durable = unit->ledger.durable_sequence;
    for (std::size_t w = 0; w < durable.size(); ++w) durable[w] = std::max(durable[w], sequences[w]);
  }
  // The save failed: the last committed checkpoint holds the version it held before.
  void failed() const {
    std::lock_guard<std::mutex> lock(unit->mutex);
    unit->checkpointed_version = committed_version;
  }
};

// Takes `unit`'s snapshot record (the caller holds its lock) and moves its checkpointed_version to
// the version the snapshot holds.
template <class Unit>
Snapshot<Unit> snapshot_of(const std::shared_ptr<Unit>& unit) {
  Snapshot<Unit> snapshot{unit, unit->ledger.last_sequence, unit->checkpointed_version};
  unit->checkpointed_version = unit->version;
  return snapshot;
}

[[noreturn]] void incompatible(const std::string& uri, const std::string& what) {
  throw Error(ErrorCode::InvalidArgument, "the checkpoint in " + uri + " " + what);
}

// The consistency settings are part of the state: versions, ledgers and partly pushed sync sums
// mean something only under the mode (and, in sync mode, the aggregation; in stale mode, the
// staleness bound) they were made with. A restart that changes any of them is refused: there is no
// override (start a new job from the saved values instead).
void check_consistency_settings(const std::string& uri, const nlohmann::json& record, const ServerOptions& options) {
  const auto mode = field<std::string>(record, "mode");
  if (mode != to_string(options.mode)) {
    incompatible(uri, "was made in mode " + mode + ", but --mode is " + std::string(to_string(options.mode)) +
                          ": restart with --mode " + mode + " or use a fresh checkpoint URI");
  }
  const auto aggregation = field<std::string>(record, "aggregation");
  if (options.mode == Mode::Sync && aggregation != aggregation_name(options.aggregation)) {
    incompatible(uri, "was made with --aggregate " + aggregation + ", but --aggregate is " +
                          aggregation_name(options.aggregation) + ": restart with --aggregate " + aggregation +
                          " or use a fresh checkpoint URI");
  }
  const auto staleness = field<std::uint32_t>(record, "staleness");
  if (options.mode == Mode::BoundedStaleness && staleness != options.staleness) {
    incompatible(uri, "was made with --staleness " + std::to_string(staleness) + ", but --staleness is " +
                          std::to_string(options.staleness) + ": restart with --staleness " +
                          std::to_string(staleness) + " or use a fresh checkpoint URI");
  }
}

}  // namespace

std::string shard_checkpoint_uri(const std::string& uri, std::uint32_t shard) {
  std::string base = uri;
  std::string query;
  if (uri.starts_with("s3://")) {
    if (const auto mark = uri.find('?'); mark != std::string::npos) {
      base = uri.substr(0, mark);
      query = uri.substr(mark);
    }
  }
  while (base.size() > 1 && base.back() == '/' && !base.ends_with(":///") && !base.ends_with("://")) base.pop_back();
  return base + "/shard-" + std::to_string(shard) + query;
}

StateCheckpointer::StateCheckpointer(ServerCore& core)
    : core_(core),
      uri_(shard_checkpoint_uri(core.options.checkpoint_uri, core.options.shard)),
      context_(single_process_context(core.log, no_variables_)) {
  checkpoint::CheckpointerOptions options;
  options.every_steps = 0;  // the server decides when (checkpoint loop)
  options.keep_last = 3;
  options.async = false;
  options.watch_interruptions = false;  // the server's own signal thread handles SIGTERM
  // The checkpointer's own info lines would repeat ours; keep its warnings and errors.
  options.logger = Logger(std::max(core.log.level(), LogLevel::Warn),
                          "ronde-ps-server " + std::to_string(core.options.shard) + "/" +
                              std::to_string(core.options.shards) + " " + local_host_name() + " checkpoint");
  checkpointer_ = std::make_unique<checkpoint::Checkpointer>(context_, uri_, options);
}

StateCheckpointer::~StateCheckpointer() = default;

std::optional<StateCheckpointer::Restored> StateCheckpointer::restore() {
  const ServerOptions& options = core_.options;
  // First pass: the record alone (which partitions and tables, and their shapes).
  checkpoint::CheckpointState probe;
  const std::optional<std::int64_t> step = checkpointer_->restore_latest(probe);
  if (!step) return std::nullopt;
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(probe.user_json);
  } catch (const nlohmann::json::exception& error) {
    throw Error(ErrorCode::Corrupt, "the checkpoint of step " + std::to_string(*step) + " in " + uri_ +
                                        " has no readable parameter-server record: " + error.what());
  }
  if (!record.is_object() || !record.contains("format") || record["format"] != kRecordFormat) {
    incompatible(uri_, "was not written by ronde-ps-server (its record is not '" + std::string(kRecordFormat) + "')");
  }
  if (field<int>(record, "format_version") != kRecordVersion) {
    incompatible(uri_, "has record format " + std::to_string(field<int>(record, "format_version")) +
                           "; this server reads format " + std::to_string(kRecordVersion));
  }
  const auto map_version = field<std::uint32_t>(record, "shard_map_version");
  const auto shards = field<std::uint32_t>(record, "shards");
  const auto shard = field<std::uint32_t>(record, "shard");
  if (map_version != ShardMap::kFormatVersion || shards != options.shards || shard != options.shard) {
    incompatible(uri_, "was written by server " + std::to_string(shard) + " of " + std::to_string(shards) +
                           " servers (shard map format " + std::to_string(map_version) + "), but this is server " +
                           std::to_string(options.shard) + " of " + std::to_string(options.shards) +
                           " (format " + std::to_string(ShardMap::kFormatVersion) +
                           "): re-partitioning is not supported: start " + std::to_string(shards) +
                           " servers or use a fresh checkpoint URI");
  }
  if (const auto workers = field<std::uint32_t>(record, "workers"); workers != options.workers) {
    incompatible(uri_, "was written for " + std::to_string(workers) + " workers, but --workers is " +
                           std::to_string(options.workers) + ": start the server with --workers " +
                           std::to_string(workers) + " or use a fresh checkpoint URI");
  }
  if (const auto optimizer = field<std::string>(record, "optimizer"); optimizer != options.optimizer) {
    incompatible(uri_, "holds the state of optimizer '" + optimizer + "', but --optimizer is '" + options.optimizer + "'");
  }
  check_consistency_settings(uri_, record, options);
  const auto dense_records = field<nlohmann::json>(record, "dense");
  const auto table_records = field<nlohmann::json>(record, "tables");

  // Second pass: every tensor, into units built from the record.
  checkpoint::CheckpointState state;
  std::vector<std::shared_ptr<DensePartition>> partitions;
  std::vector<std::shared_ptr<SparseTable>> tables;
  for (std::size_t k = 0; k < dense_records.size(); ++k) {
    auto partition = std::make_shared<DensePartition>(DenseLayout::from_json(dense_records[k]), options);
    partition->prepare_restore(state, "dense/" + std::to_string(k), dense_records[k]);
    partitions.push_back(std::move(partition));
  }
  for (std::size_t k = 0; k < table_records.size(); ++k) {
    auto table = std::make_shared<SparseTable>(TableLayout::from_json(table_records[k]), options);
    table->prepare_restore(state, "table/" + std::to_string(k), table_records[k]);
    tables.push_back(std::move(table));
  }
  const std::optional<std::int64_t> again = checkpointer_->restore_latest(state);
  if (again != step || state.user_json != probe.user_json) {
    throw Error(ErrorCode::Corrupt, "the newest checkpoint in " + uri_ + " changed while it was being restored");
  }

  Restored restored;
  restored.step = *step;
  for (std::size_t k = 0; k < partitions.size(); ++k) {
    partitions[k]->finish_restore(state, "dense/" + std::to_string(k), dense_records[k]);
    restored.max_version = std::max(restored.max_version, partitions[k]->version);
    core_.registry.insert(partitions[k]);
  }
  for (std::size_t k = 0; k < tables.size(); ++k) {
    tables[k]->finish_restore(state, "table/" + std::to_string(k), table_records[k]);
    restored.max_version = std::max(restored.max_version, tables[k]->version);
    restored.rows += tables[k]->row_count();
    core_.registry.insert(tables[k]);
  }
  restored.partitions = partitions.size();
  restored.tables = tables.size();
  last_step_ = *step;
  saved_changes_ = core_.changes.load();
  return restored;
}

std::optional<StateCheckpointer::Saved> StateCheckpointer::save() {
  const auto started = std::chrono::steady_clock::now();
  const std::uint64_t changes = core_.changes.load();
  if (changes == saved_changes_) return std::nullopt;  // nothing changed (or nothing at all yet)
  const std::int64_t step = last_step_.value_or(0) + 1;
  const ServerOptions& options = core_.options;

  checkpoint::CheckpointState state;
  nlohmann::json record = {{"format", kRecordFormat},
                           {"format_version", kRecordVersion},
                           {"shard_map_version", ShardMap::kFormatVersion},
                           {"shard", options.shard},
                           {"shards", options.shards},
                           {"workers", options.workers},
                           {"mode", std::string(to_string(options.mode))},
                           {"staleness", options.staleness},
                           {"optimizer", options.optimizer},
                           {"aggregation", aggregation_name(options.aggregation)},
                           {"dense", nlohmann::json::array()},
                           {"tables", nlohmann::json::array()}};
  // Per unit, what its snapshot holds (sequences, marked durable once the checkpoint is committed)
  // and the version of its last committed checkpoint. A unit's checkpointed_version moves to the
  // snapshot at once, so that pushes during the save do not ask for another one; a failed save
  // moves it back, so that the step trigger keeps counting from the last COMMITTED checkpoint.
  std::vector<Snapshot<DensePartition>> dense_snapshots;
  std::vector<Snapshot<SparseTable>> table_snapshots;
  const auto partitions = core_.registry.partitions();
  const auto tables = core_.registry.tables();
  dense_snapshots.reserve(partitions.size());  // no allocation between a snapshot and its record
  table_snapshots.reserve(tables.size());
  // Whatever throws from here on (copying the values, the JSON, the save) rolls back every
  // snapshot taken so far.
  struct RollBack {
    std::vector<Snapshot<DensePartition>>& dense;
    std::vector<Snapshot<SparseTable>>& tables;
    bool committed = false;
    ~RollBack() {
      if (committed) return;
      for (auto& snapshot : dense) snapshot.failed();
      for (auto& snapshot : tables) snapshot.failed();
    }
  } roll_back{dense_snapshots, table_snapshots};
  for (std::size_t k = 0; k < partitions.size(); ++k) {
    std::lock_guard<std::mutex> lock(partitions[k]->mutex);
    record["dense"].push_back(partitions[k]->save(state, "dense/" + std::to_string(k)));
    dense_snapshots.push_back(snapshot_of(partitions[k]));
  }
  for (std::size_t k = 0; k < tables.size(); ++k) {
    std::lock_guard<std::mutex> lock(tables[k]->mutex);
    record["tables"].push_back(tables[k]->save(state, "table/" + std::to_string(k)));
    table_snapshots.push_back(snapshot_of(tables[k]));
  }
  state.user_json = record.dump();
  Saved saved;
  saved.step = step;
  for (const auto& tensor : state.tensors()) saved.bytes += tensor.tensor.nbytes();
  saved.units = partitions.size() + tables.size();

  checkpointer_->save(step, state);
  roll_back.committed = true;
  last_step_ = step;
  saved_changes_ = changes;
  for (auto& snapshot : dense_snapshots) snapshot.committed();
  for (auto& snapshot : table_snapshots) snapshot.committed();
  saved.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return saved;
}

}  // namespace ronde::ps::server
