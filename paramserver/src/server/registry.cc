#include "server/registry.h"

#include <cmath>
#include <limits>
#include <mutex>

#include "common/wire.h"
#include "ronde/ps/shard_map.h"
#include "server/rejection.h"

namespace ronde::ps::server {
namespace {

constexpr std::size_t kMaxNameBytes = 1024;

std::string who_declares(const v1::DeclareRequest& request) {
  std::string text = "declare of tensor '" + request.tensor() + "'";
  if (!request.sparse()) text += " partition " + std::to_string(request.partition());
  return text + " by worker " + std::to_string(request.worker());
}

// The checks common to dense and sparse declares; returns the dtype.
DType check_common(const v1::DeclareRequest& request, const ServerOptions& options, const std::string& who) {
  if (request.tensor().empty()) reject("a Declare must name a tensor (worker " + std::to_string(request.worker()) + ")");
  if (request.tensor().size() > kMaxNameBytes) {
    reject(who.substr(0, 80) + "...: the tensor name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  }
  if (request.worker() >= options.workers) {
    reject(who + ": worker " + std::to_string(request.worker()) + " is not one of this server's " +
           std::to_string(options.workers) + " workers (--workers " + std::to_string(options.workers) + ")");
  }
  if (request.shard_map_version() != ShardMap::kFormatVersion) {
    reject(who + ": the client places tensors with shard map format " + std::to_string(request.shard_map_version()) +
           ", this server expects format " + std::to_string(ShardMap::kFormatVersion) +
           " (client and server come from different ronde versions)");
  }
  DType dtype;
  try {
    dtype = wire::from_proto(request.dtype());
  } catch (const Error& error) {
    reject(who + ": " + error.message());
  }
  if (options.optimizer != "sum" && !is_floating_point(dtype)) {
    reject(who + ": dtype " + std::string(to_string(dtype)) + " cannot be updated by optimizer '" + options.optimizer +
           "' (it needs f16, bf16, f32 or f64; integer tensors need --optimizer sum)");
  }
  return dtype;
}

DenseLayout dense_layout(const v1::DeclareRequest& request, const ServerOptions& options) {
  const std::string who = who_declares(request);
  DenseLayout layout;
  layout.dtype = check_common(request, options, who);
  layout.tensor = request.tensor();
  const std::string shape = wire::shape_text(request.shape());
  std::uint64_t elements = 1;
  for (const std::int64_t dim : request.shape()) {
    if (dim < 0) reject(who + ": shape " + shape + " has a negative dimension");
    if (dim != 0 && elements > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(dim)) {
      reject(who + ": shape " + shape + " has more than 2^64 elements");
    }
    elements *= static_cast<std::uint64_t>(dim);
  }
  layout.shape.assign(request.shape().begin(), request.shape().end());
  if (request.partition_count() == 0 || request.partition() >= request.partition_count()) {
    reject(who + ": partition " + std::to_string(request.partition()) + " of " +
           std::to_string(request.partition_count()) + " is not a partition index");
  }
  layout.partition = request.partition();
  layout.partition_count = request.partition_count();
  if (request.offset() > elements || request.length() > elements - request.offset()) {
    reject(who + ": elements [" + std::to_string(request.offset()) + ", " + std::to_string(request.offset()) + " + " +
           std::to_string(request.length()) + ") are outside shape " + shape + " (" + std::to_string(elements) +
           " elements)");
  }
  layout.offset = request.offset();
  layout.length = request.length();
  const std::uint64_t element_bytes = dtype_size(layout.dtype);
  if (layout.length > options.max_request_bytes / element_bytes) {
    reject(who + ": the partition of shape [" + std::to_string(layout.length) + "] (" +
           std::string(to_string(layout.dtype)) + ", tensor shape " + shape + ") would take more than " +
           std::to_string(options.max_request_bytes) + " bytes (--max-request-bytes)");
  }
  return layout;
}

TableLayout table_layout(const v1::DeclareRequest& request, const ServerOptions& options) {
  const std::string who = who_declares(request);
  TableLayout layout;
  layout.dtype = check_common(request, options, who);
  layout.tensor = request.tensor();
  if (request.row_width() == 0) reject(who + ": a sparse table needs row_width >= 1");
  if (request.row_width() > options.max_request_bytes / dtype_size(layout.dtype)) {
    reject(who + ": rows of " + std::to_string(request.row_width()) + " elements exceed --max-request-bytes " +
           std::to_string(options.max_request_bytes));
  }
  layout.row_width = request.row_width();
  switch (request.row_init()) {
    case v1::DeclareRequest::ZEROS: layout.init = RowInit::Zeros; break;
    case v1::DeclareRequest::UNIFORM: layout.init = RowInit::Uniform; break;
    default: reject(who + ": row_init " + std::to_string(static_cast<int>(request.row_init())) + " is not ZEROS or UNIFORM");
  }
  if (!std::isfinite(request.init_scale()) || request.init_scale() < 0) {
    reject(who + ": init_scale " + std::to_string(request.init_scale()) + " is not a finite value >= 0");
  }
  layout.init_scale = layout.init == RowInit::Uniform ? request.init_scale() : 0.0;
  return layout;
}

}  // namespace

Registry::Declared<DensePartition> Registry::declare_dense(const v1::DeclareRequest& request) {
  const DenseLayout layout = dense_layout(request, options_);
  const std::string who = who_declares(request);
  // Checks against what exists; returns the existing partition, or nullptr to create one.
  auto existing = [&]() -> std::shared_ptr<DensePartition> {
    if (auto table = tables_.find(layout.tensor); table != tables_.end()) {
      reject(who + ": '" + layout.tensor + "' is a sparse table on this server (" + table->second->layout().describe() +
             "), not a dense tensor " + layout.describe());
    }
    // Any partition of the tensor fixes its dtype, shape and partition count.
    auto sibling = dense_.lower_bound({layout.tensor, 0});
    if (sibling != dense_.end() && sibling->first.first == layout.tensor) {
      const DenseLayout& held = sibling->second->layout();
      if (held.dtype != layout.dtype || held.shape != layout.shape || held.partition_count != layout.partition_count) {
        reject(who + ": tensor '" + layout.tensor + "' is declared on this server as " + held.describe() +
               ", but this declare says " + layout.describe());
      }
    }
    auto same = dense_.find({layout.tensor, layout.partition});
    if (same == dense_.end()) return nullptr;
    if (!same->second->layout().same_as(layout)) {
      reject(who + ": tensor '" + layout.tensor + "' is declared on this server as " + same->second->layout().describe() +
             ", but this declare says " + layout.describe());
    }
    return same->second;
  };
  {
    std::shared_lock lock(mutex_);
    if (auto held = existing()) return {held, false};
  }
  // Allocate outside the lock (partitions can be large), then insert unless another declare won.
  auto created = allocating(who + ": the values of " + layout.describe() + " (and their gradient and optimizer state)",
                            layout.bytes(), [&] { return std::make_shared<DensePartition>(layout, options_); });
  std::unique_lock lock(mutex_);
  if (auto held = existing()) return {held, false};
  dense_.emplace(std::make_pair(layout.tensor, layout.partition), created);
  return {created, true};
}

Registry::Declared<SparseTable> Registry::declare_table(const v1::DeclareRequest& request) {
  const TableLayout layout = table_layout(request, options_);
  const std::string who = who_declares(request);
  auto existing = [&]() -> std::shared_ptr<SparseTable> {
    auto dense = dense_.lower_bound({layout.tensor, 0});
    if (dense != dense_.end() && dense->first.first == layout.tensor) {
      reject(who + ": '" + layout.tensor + "' is a dense tensor on this server (" + dense->second->layout().describe() +
             "), not a sparse table of " + layout.describe());
    }
    auto same = tables_.find(layout.tensor);
    if (same == tables_.end()) return nullptr;
    if (!same->second->layout().same_as(layout)) {
      reject(who + ": table '" + layout.tensor + "' is declared on this server with " + same->second->layout().describe() +
             ", but this declare says " + layout.describe());
    }
    return same->second;
  };
  {
    std::shared_lock lock(mutex_);
    if (auto held = existing()) return {held, false};
  }
  auto created = std::make_shared<SparseTable>(layout, options_);
  std::unique_lock lock(mutex_);
  if (auto held = existing()) return {held, false};
  tables_.emplace(layout.tensor, created);
  return {created, true};
}

std::shared_ptr<DensePartition> Registry::find_dense(const std::string& tensor, std::uint32_t partition) const {
  std::shared_lock lock(mutex_);
  auto found = dense_.find({tensor, partition});
  return found == dense_.end() ? nullptr : found->second;
}

std::shared_ptr<SparseTable> Registry::find_table(const std::string& tensor) const {
  std::shared_lock lock(mutex_);
  auto found = tables_.find(tensor);
  return found == tables_.end() ? nullptr : found->second;
}

std::shared_ptr<DensePartition> Registry::dense_or_reject(const std::string& tensor, std::uint32_t partition,
                                                          const std::string& who) const {
  if (auto found = find_dense(tensor, partition)) return found;
  if (find_table(tensor)) reject(who + ": '" + tensor + "' is a sparse table on this server, not a dense tensor");
  reject(who + ": unknown tensor '" + tensor + "' partition " + std::to_string(partition) +
         " (this server holds no such partition; declare it first)");
}

std::shared_ptr<SparseTable> Registry::table_or_reject(const std::string& tensor, const std::string& who) const {
  if (auto found = find_table(tensor)) return found;
  bool dense = false;
  {
    std::shared_lock lock(mutex_);
    auto any = dense_.lower_bound({tensor, 0});
    dense = any != dense_.end() && any->first.first == tensor;
  }
  if (dense) reject(who + ": '" + tensor + "' is a dense tensor on this server, not a sparse table");
  reject(who + ": unknown table '" + tensor + "' (this server holds no such table; declare it first)");
}

std::vector<std::shared_ptr<DensePartition>> Registry::partitions() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<DensePartition>> all;
  for (const auto& entry : dense_) all.push_back(entry.second);
  return all;
}

std::vector<std::shared_ptr<SparseTable>> Registry::tables() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<SparseTable>> all;
  for (const auto& entry : tables_) all.push_back(entry.second);
  return all;
}

std::size_t Registry::partition_count() const {
  std::shared_lock lock(mutex_);
  return dense_.size();
}

std::size_t Registry::table_count() const {
  std::shared_lock lock(mutex_);
  return tables_.size();
}

void Registry::insert(std::shared_ptr<DensePartition> partition) {
  std::unique_lock lock(mutex_);
  const auto& layout = partition->layout();
  dense_[{layout.tensor, layout.partition}] = std::move(partition);
}

void Registry::insert(std::shared_ptr<SparseTable> table) {
  std::unique_lock lock(mutex_);
  const std::string name = table->layout().tensor;
  tables_[name] = std::move(table);
}

void Registry::wake_all() const {
  for (const auto& partition : partitions()) {
    std::lock_guard<std::mutex> lock(partition->mutex);
    partition->changed.notify_all();
  }
  for (const auto& table : tables()) {
    std::lock_guard<std::mutex> lock(table->mutex);
    table->changed.notify_all();
  }
}

}  // namespace ronde::ps::server
