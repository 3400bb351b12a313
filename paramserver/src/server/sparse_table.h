// One sparse table on this server: rows of `row_width` elements keyed by int64 ids (the rows the
// client's ShardMap places here), created on first touch, each updated lazily - only when a push
// names it - by its OWN optimizer instance (its own step count and slots, as LazyAdam does).
//
// Memory: per row, the values and a gradient buffer (2 x width x dtype size), the optimizer's
// slots in compute precision (e.g. Adam: 2 x width x 4 bytes for f32 rows), and the optimizer
// object itself (a few hundred bytes); "sum" mode keeps only the values. Sync mode also keeps, for
// the step being pushed, one f64 (or i64) row per distinct id pushed.
//
// Locking as DensePartition: `mutex` guards everything, `changed` is notified on every change.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ronde/checkpoint/checkpointer.h"
#include "ronde/optim/optimizer.h"
#include "ronde/ps/server.h"
#include "server/row_init.h"
#include "server/worker_ledger.h"

namespace ronde::ps::server {

struct TableLayout {
  std::string tensor;
  DType dtype = DType::F32;
  std::uint64_t row_width = 0;
  RowInit init = RowInit::Zeros;
  double init_scale = 0;

  std::size_t row_bytes() const { return row_width * dtype_size(dtype); }
  std::string name() const { return "table '" + tensor + "'"; }
  // "f32 rows of 16 (uniform +-0.01)"
  std::string describe() const;
  bool same_as(const TableLayout& other) const;

  nlohmann::json to_json() const;
  static TableLayout from_json(const nlohmann::json& record);
};

class SparseTable {
 public:
  SparseTable(TableLayout layout, const ServerOptions& options);
  ~SparseTable();
  const TableLayout& layout() const { return layout_; }

  std::mutex mutex;
  std::condition_variable changed;
  // ---- guarded by mutex ----
  std::uint64_t version = 0;  // async: pushes applied; sync: completed steps
  std::uint64_t checkpointed_version = 0;  // as DensePartition's
  WorkerLedger ledger;

  // The operations (the caller holds mutex). `values` holds ids.size() rows.
  // Creates the missing rows of `ids`; returns how many were created.
  std::size_t ensure_rows(std::span<const std::int64_t> ids);
  // Copies the rows of `ids` (which must exist) to `out`, in order.
  void copy_rows(std::span<const std::int64_t> ids, std::byte* out) const;
  // Async: rows with the same id are summed, then each distinct row is updated once; version + 1.
  void apply(std::span<const std::int64_t> ids, const std::byte* values);
  // Sync: adds to the step's per-row sums. All or nothing: a std::bad_alloc (making the sums of
  // rows new to this step) leaves the sums as they were.
  void accumulate(std::span<const std::int64_t> ids, const std::byte* values);
  // Sync: each row pushed this step is updated once with its aggregate; version + 1.
  void apply_accumulated();
  std::size_t row_count() const { return rows_.size(); }

  // Checkpoints, as DensePartition (tensors under `prefix`, e.g. "table/2").
  nlohmann::json save(checkpoint::CheckpointState& state, const std::string& prefix) const;
  void prepare_restore(checkpoint::CheckpointState& state, const std::string& prefix, const nlohmann::json& record);
  void finish_restore(const checkpoint::CheckpointState& state, const std::string& prefix,
                      const nlohmann::json& record);

 private:
  struct Row;
  using Sums = std::unordered_map<std::int64_t, std::vector<std::byte>>;  // accumulator-typed rows
  Row& row(std::int64_t id);  // creates
  // Makes a zero sum for every id of `ids` that has none (all or nothing: on std::bad_alloc the
  // sums made here are removed again), then adds the rows; the adding allocates nothing.
  void add_to(Sums& sums, std::span<const std::int64_t> ids, const std::byte* values) const;
  void update(std::int64_t id, const std::vector<std::byte>& sum, std::uint32_t divisor);

  TableLayout layout_;
  const ServerOptions& options_;
  std::uint32_t divisor_;
  std::unordered_map<std::int64_t, std::unique_ptr<Row>> rows_;
  Sums step_sums_;  // sync: the step being pushed
};

}  // namespace ronde::ps::server
