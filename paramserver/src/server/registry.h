// The partitions and tables this server holds, by name: created by Declare (or a restore), found
// by every other call. A Declare is validated completely before anything is created; one that
// disagrees with what exists (dtype, shape, partition layout, row width) is refused naming both.
//
// Locking: a shared mutex over the maps only (lookups share it; creation takes it exclusively).
// Partitions and tables are shared_ptrs, so a handler keeps its unit alive without the map lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "ronde/ps/server.h"
#include "ronde_ps.pb.h"
#include "server/dense_partition.h"
#include "server/sparse_table.h"

namespace ronde::ps::server {

class Registry {
 public:
  explicit Registry(const ServerOptions& options) : options_(options) {}

  template <class Unit>
  struct Declared {
    std::shared_ptr<Unit> unit;
    bool created = false;
  };
  // Validates `request` (a Rejection names what is wrong) and returns the existing unit or a new one.
  Declared<DensePartition> declare_dense(const v1::DeclareRequest& request);
  Declared<SparseTable> declare_table(const v1::DeclareRequest& request);

  // nullptr when absent.
  std::shared_ptr<DensePartition> find_dense(const std::string& tensor, std::uint32_t partition) const;
  std::shared_ptr<SparseTable> find_table(const std::string& tensor) const;
  // A Rejection naming the tensor when it is not held (saying what is held under the name instead).
  std::shared_ptr<DensePartition> dense_or_reject(const std::string& tensor, std::uint32_t partition,
                                                  const std::string& who) const;
  std::shared_ptr<SparseTable> table_or_reject(const std::string& tensor, const std::string& who) const;

  // Every unit, in name order (checkpoints, shutdown).
  std::vector<std::shared_ptr<DensePartition>> partitions() const;
  std::vector<std::shared_ptr<SparseTable>> tables() const;
  std::size_t partition_count() const;
  std::size_t table_count() const;

  // Restores add units directly (the server is not serving yet).
  void insert(std::shared_ptr<DensePartition> partition);
  void insert(std::shared_ptr<SparseTable> table);

  // Notifies every unit's condition variable (shutdown).
  void wake_all() const;

 private:
  const ServerOptions& options_;
  mutable std::shared_mutex mutex_;
  std::map<std::pair<std::string, std::uint32_t>, std::shared_ptr<DensePartition>> dense_;
  std::map<std::string, std::shared_ptr<SparseTable>> tables_;
};

}  // namespace ronde::ps::server
