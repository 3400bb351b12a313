// One dense partition held by this server: its values, its optimizer, its sync accumulator and
// the bookkeeping that makes pushes exactly-once (server.h states the semantics).
//
// Locking: `mutex` guards everything below it; handlers hold it only to check, apply or copy,
// never while streaming data over the network. `changed` is notified after every change (version,
// initialization) and on shutdown, for calls waiting on this partition.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ronde/checkpoint/checkpointer.h"
#include "ronde/optim/optimizer.h"
#include "ronde/ps/server.h"
#include "server/worker_ledger.h"

namespace ronde::ps::server {

// Where the partition sits in its tensor (as the client's ShardMap placed it). Immutable.
struct DenseLayout {
  std::string tensor;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;  // the whole tensor's
  std::uint32_t partition = 0;
  std::uint32_t partition_count = 1;
  std::uint64_t offset = 0;  // elements
  std::uint64_t length = 0;  // elements

  std::size_t bytes() const { return length * dtype_size(dtype); }
  // "tensor 'w' partition 0"
  std::string name() const;
  // "f32[2, 3] partition 0 of 1 (elements [0, 6))"
  std::string describe() const;
  bool same_as(const DenseLayout& other) const;

  nlohmann::json to_json() const;
  static DenseLayout from_json(const nlohmann::json& record);
};

class DensePartition {
 public:
  // Allocates zeroed values and, unless the optimizer is "sum", the optimizer over them.
  DensePartition(DenseLayout layout, const ServerOptions& options);
  const DenseLayout& layout() const { return layout_; }

  std::mutex mutex;
  std::condition_variable changed;
  // ---- guarded by mutex ----
  bool initialized = false;              // worker 0's initial values arrived
  std::uint64_t version = 0;             // updates applied (sync: completed steps)
  // The version the last committed checkpoint holds (while a save runs: the one it is saving).
  std::uint64_t checkpointed_version = 0;
  WorkerLedger ledger;

  // The operations (the caller holds mutex). `data` is length() elements of the dtype.
  void set_initial(const std::byte* data);   // values = data; initialized = true
  void apply(const std::byte* data);         // async: one push is one update; version + 1
  void accumulate(const std::byte* data);    // sync: add to the step's sum
  void apply_accumulated();                  // sync: aggregate, update, clear; version + 1
  void copy_values(std::byte* out) const;
  // The values as they are now, for pulls to send without the lock: the copy another pull of this
  // version is still sending, else a new one. Only pulls in flight keep a copy alive, so an idle
  // partition holds no second copy of its values. (The values change only with `version`:
  // initial values arrive before any pull can run.)
  std::shared_ptr<const std::byte[]> pull_snapshot();

  // Checkpoints. save() adds copies of the values, the accumulator (when a step is partly
  // pushed) and the optimizer state under `prefix` ("dense/3"), and returns the record for the
  // state's JSON. prepare_restore() adds views of this (new, unshared) partition's buffers to
  // `state` for restore_latest to fill; finish_restore() then loads the optimizer and the record.
  nlohmann::json save(checkpoint::CheckpointState& state, const std::string& prefix) const;
  void prepare_restore(checkpoint::CheckpointState& state, const std::string& prefix, const nlohmann::json& record);
  void finish_restore(const checkpoint::CheckpointState& state, const std::string& prefix,
                      const nlohmann::json& record);

 private:
  void update();  // from grad_: optimizer step, or values += grad
  std::byte* accumulator();

  DenseLayout layout_;
  const ServerOptions& options_;
  std::uint32_t divisor_;  // workers (mean) or 1 (sum)
  std::vector<std::byte> values_;
  std::vector<std::byte> grad_;         // empty in "sum" mode
  std::vector<std::byte> accumulator_;  // sync only; allocated on first use
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::weak_ptr<const std::byte[]> pull_snapshot_;
  std::uint64_t pull_snapshot_version_ = 0;
};

}  // namespace ronde::ps::server
