#include "server/dense_partition.h"

#include <cstring>

#include "ronde/core/error.h"
#include "ronde/core/tensor.h"
#include "ronde/training/checkpoint_state.h"
#include "server/element_ops.h"
#include "server/json_fields.h"

namespace ronde::ps::server {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// The optimizer's one parameter is the partition itself; state dicts name it "p".
constexpr const char* kParameterName = "p";

}  // namespace

std::string DenseLayout::name() const { return "tensor '" + tensor + "' partition " + std::to_string(partition); }

std::string DenseLayout::describe() const {
  return std::string(to_string(dtype)) + shape_text(shape) + " partition " + std::to_string(partition) + " of " +
         std::to_string(partition_count) + " (elements [" + std::to_string(offset) + ", " +
         std::to_string(offset + length) + "))";
}

bool DenseLayout::same_as(const DenseLayout& other) const {
  return tensor == other.tensor && dtype == other.dtype && shape == other.shape && partition == other.partition &&
         partition_count == other.partition_count && offset == other.offset && length == other.length;
}

nlohmann::json DenseLayout::to_json() const {
  return {{"tensor", tensor},       {"dtype", std::string(to_string(dtype))},
          {"shape", shape},         {"partition", partition},
          {"partition_count", partition_count}, {"offset", offset},
          {"length", length}};
}

DenseLayout DenseLayout::from_json(const nlohmann::json& record) {
  DenseLayout layout;
  layout.tensor = field<std::string>(record, "tensor");
  layout.dtype = parse_dtype(field<std::string>(record, "dtype"));
  layout.shape = field<std::vector<std::int64_t>>(record, "shape");
  layout.partition = field<std::uint32_t>(record, "partition");
  layout.partition_count = field<std::uint32_t>(record, "partition_count");
  layout.offset = field<std::uint64_t>(record, "offset");
  layout.length = field<std::uint64_t>(record, "length");
  return layout;
}

DensePartition::DensePartition(DenseLayout layout, const ServerOptions& options)
    : ledger(options.workers),
      layout_(std::move(layout)),
      options_(options),
      divisor_(options.aggregation == Aggregation::Mean ? options.workers : 1),
      values_(layout_.bytes()) {
  if (options_.optimizer != "sum" && layout_.length > 0) {
    grad_.resize(layout_.bytes());
    const std::vector<std::int64_t> flat = {static_cast<std::int64_t>(layout_.length)};
    optimizer_ = optim::make_optimizer(options_.optimizer, options_.optimizer_options,
                                       {{kParameterName, Tensor(values_.data(), layout_.dtype, flat),
                                         Tensor(grad_.data(), layout_.dtype, flat)}});
  }
}

void DensePartition::set_initial(const std::byte* data) {
  if (!values_.empty()) std::memcpy(values_.data(), data, values_.size());
  initialized = true;
}

void DensePartition::update() {
  if (optimizer_) optimizer_->step();
  ++version;
}

void DensePartition::apply(const std::byte* data) {
  if (layout_.length > 0) {
    if (optimizer_) {
      std::memcpy(grad_.data(), data, grad_.size());
    } else {
      add_elements(layout_.dtype, data, values_.data(), layout_.length);
    }
  }
  update();
}

std::byte* DensePartition::accumulator() {
  if (accumulator_.empty()) accumulator_.resize(layout_.length * dtype_size(accumulator_dtype(layout_.dtype)));
  return accumulator_.data();
}

void DensePartition::accumulate(const std::byte* data) {
  if (layout_.length > 0) ::ronde::ps::server::accumulate(layout_.dtype, data, accumulator(), layout_.length);
}

void DensePartition::apply_accumulated() {
  if (layout_.length > 0) {
    if (optimizer_) {
      store_aggregate(layout_.dtype, accumulator(), divisor_, grad_.data(), layout_.length);
    } else {
      add_aggregate(layout_.dtype, accumulator(), divisor_, values_.data(), layout_.length);
    }
    std::memset(accumulator_.data(), 0, accumulator_.size());
  }
  update();
}

std::shared_ptr<const std::byte[]> DensePartition::pull_snapshot() {
  if (auto shared = pull_snapshot_.lock(); shared && pull_snapshot_version_ == version) return shared;
  std::shared_ptr<std::byte[]> copy(new std::byte[values_.size()]);  // not zeroed: filled next
  copy_values(copy.get());
  pull_snapshot_ = copy;
  pull_snapshot_version_ = version;
  return copy;
}

void DensePartition::copy_values(std::byte* out) const {
  if (!values_.empty()) std::memcpy(out, values_.data(), values_.size());
}

nlohmann::json DensePartition::save(checkpoint::CheckpointState& state, const std::string& prefix) const {
  const std::vector<std::int64_t> flat = {static_cast<std::int64_t>(layout_.length)};
  Tensor values = state.add_owned(prefix + "/values", layout_.dtype, flat);
  copy_values(static_cast<std::byte*>(values.data()));
  const bool partial_step = ledger.contributors() > 0;
  if (partial_step && !accumulator_.empty()) {
    Tensor sum = state.add_owned(prefix + "/accumulator", accumulator_dtype(layout_.dtype), flat);
    std::memcpy(sum.data(), accumulator_.data(), accumulator_.size());
  }
  if (optimizer_) training::add_optimizer_state(state, *optimizer_, prefix + "/optimizer");
  nlohmann::json record = layout_.to_json();
  record["initialized"] = initialized;
  record["version"] = version;
  record["has_accumulator"] = partial_step && !accumulator_.empty();
  record["ledger"] = ledger_to_json(ledger);
  return record;
}

void DensePartition::prepare_restore(checkpoint::CheckpointState& state, const std::string& prefix,
                                     const nlohmann::json& record) {
  const std::vector<std::int64_t> flat = {static_cast<std::int64_t>(layout_.length)};
  state.add_replicated(prefix + "/values", Tensor(values_.empty() ? nullptr : values_.data(), layout_.dtype, flat));
  if (field<bool>(record, "has_accumulator")) {
    state.add_replicated(prefix + "/accumulator",
                         Tensor(accumulator(), accumulator_dtype(layout_.dtype), flat));
  }
  if (optimizer_) training::add_optimizer_state(state, *optimizer_, prefix + "/optimizer");
}

void DensePartition::finish_restore(const checkpoint::CheckpointState& state, const std::string& prefix,
                                    const nlohmann::json& record) {
  if (optimizer_) {
    // The state dict carries the learning rate too; the one this server was started with wins
    // (a restart may change --opt lr; every other hyperparameter must match, or the load fails).
    const double configured_lr = optimizer_->lr();
    training::restore_optimizer_state(state, *optimizer_, prefix + "/optimizer");
    optimizer_->set_lr(configured_lr);
  }
  initialized = field<bool>(record, "initialized");
  version = field<std::uint64_t>(record, "version");
  checkpointed_version = version;
  ledger = ledger_from_json(field<nlohmann::json>(record, "ledger"), options_.workers, layout_.name());
}

}  // namespace ronde::ps::server
