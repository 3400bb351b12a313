#include "server/sparse_table.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "ronde/core/error.h"
#include "ronde/core/tensor.h"
#include "server/element_ops.h"
#include "server/json_fields.h"

namespace ronde::ps::server {
namespace {

constexpr const char* kParameterName = "p";  // each row optimizer's one parameter
// The optimizer state dict's step count key (optim::StateDict metadata, see optim/optimizer.h).
constexpr const char* kStepKey = "step";

std::vector<std::int64_t> sorted_ids(const auto& map) {
  std::vector<std::int64_t> ids;
  ids.reserve(map.size());
  for (const auto& entry : map) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

struct SparseTable::Row {
  std::vector<std::byte> values;
  std::vector<std::byte> grad;  // empty in "sum" mode
  std::unique_ptr<optim::Optimizer> optimizer;
};

std::string TableLayout::describe() const {
  std::ostringstream text;
  text << to_string(dtype) << " rows of " << row_width;
  if (init == RowInit::Uniform) text << " (uniform +-" << init_scale << ")";
  else text << " (zeros)";
  return text.str();
}

bool TableLayout::same_as(const TableLayout& other) const {
  return tensor == other.tensor && dtype == other.dtype && row_width == other.row_width && init == other.init &&
         init_scale == other.init_scale;
}

nlohmann::json TableLayout::to_json() const {
  return {{"tensor", tensor},
          {"dtype", std::string(to_string(dtype))},
          {"row_width", row_width},
          {"row_init", init == RowInit::Uniform ? "uniform" : "zeros"},
          {"init_scale", init_scale}};
}

TableLayout TableLayout::from_json(const nlohmann::json& record) {
  TableLayout layout;
  layout.tensor = field<std::string>(record, "tensor");
  layout.dtype = parse_dtype(field<std::string>(record, "dtype"));
  layout.row_width = field<std::uint64_t>(record, "row_width");
  layout.init = field<std::string>(record, "row_init") == "uniform" ? RowInit::Uniform : RowInit::Zeros;
  layout.init_scale = field<double>(record, "init_scale");
  return layout;
}

SparseTable::SparseTable(TableLayout layout, const ServerOptions& options)
    : ledger(options.workers),
      layout_(std::move(layout)),
      options_(options),
      divisor_(options.aggregation == Aggregation::Mean ? options.workers : 1) {}

SparseTable::~SparseTable() = default;

SparseTable::Row& SparseTable::row(std::int64_t id) {
  auto found = rows_.find(id);
  if (found != rows_.end()) return *found->second;
  auto created = std::make_unique<Row>();
  created->values.resize(layout_.row_bytes());
  init_row(layout_.tensor, id, layout_.init, layout_.init_scale, layout_.dtype, layout_.row_width,
           created->values.data());
  if (options_.optimizer != "sum") {
    created->grad.resize(layout_.row_bytes());
    const std::vector<std::int64_t> shape = {static_cast<std::int64_t>(layout_.row_width)};
    created->optimizer = optim::make_optimizer(options_.optimizer, options_.optimizer_options,
                                               {{kParameterName, Tensor(created->values.data(), layout_.dtype, shape),
                                                 Tensor(created->grad.data(), layout_.dtype, shape)}});
  }
  return *rows_.emplace(id, std::move(created)).first->second;
}

std::size_t SparseTable::ensure_rows(std::span<const std::int64_t> ids) {
  const std::size_t before = rows_.size();
  for (std::int64_t id : ids) row(id);
  return rows_.size() - before;
}

void SparseTable::copy_rows(std::span<const std::int64_t> ids, std::byte* out) const {
  const std::size_t bytes = layout_.row_bytes();
  for (std::size_t i = 0; i < ids.size(); ++i) std::memcpy(out + i * bytes, rows_.at(ids[i])->values.data(), bytes);
}

void SparseTable::add_to(Sums& sums, std::span<const std::int64_t> ids, const std::byte* values) const {
  const std::size_t acc_bytes = layout_.row_width * dtype_size(accumulator_dtype(layout_.dtype));
  std::vector<std::int64_t> made;
  try {
    made.reserve(ids.size());
    for (const std::int64_t id : ids) {
      if (sums.contains(id)) continue;
      made.push_back(id);
      sums[id].resize(acc_bytes);
    }
  } catch (const std::bad_alloc&) {
    for (const std::int64_t id : made) sums.erase(id);
    throw;
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ::ronde::ps::server::accumulate(layout_.dtype, values + i * layout_.row_bytes(), sums.at(ids[i]).data(),
                                    layout_.row_width);
  }
}

void SparseTable::update(std::int64_t id, const std::vector<std::byte>& sum, std::uint32_t divisor) {
  Row& target = row(id);
  if (target.optimizer) {
    store_aggregate(layout_.dtype, sum.data(), divisor, target.grad.data(), layout_.row_width);
    target.optimizer->step();
  } else {
    add_aggregate(layout_.dtype, sum.data(), divisor, target.values.data(), layout_.row_width);
  }
}

void SparseTable::apply(std::span<const std::int64_t> ids, const std::byte* values) {
  Sums sums;
  add_to(sums, ids, values);
  for (std::int64_t id : sorted_ids(sums)) update(id, sums[id], 1);
  ++version;
}

void SparseTable::accumulate(std::span<const std::int64_t> ids, const std::byte* values) {
  add_to(step_sums_, ids, values);
}

void SparseTable::apply_accumulated() {
  for (std::int64_t id : sorted_ids(step_sums_)) update(id, step_sums_[id], divisor_);
  step_sums_.clear();
  ++version;
}

nlohmann::json SparseTable::save(checkpoint::CheckpointState& state, const std::string& prefix) const {
  const auto n = static_cast<std::int64_t>(rows_.size());
  const auto width = static_cast<std::int64_t>(layout_.row_width);
  const std::vector<std::int64_t> ids = sorted_ids(rows_);
  Tensor id_tensor = state.add_owned(prefix + "/ids", DType::I64, {n});
  if (n > 0) std::memcpy(id_tensor.data(), ids.data(), ids.size() * sizeof(std::int64_t));
  Tensor values = state.add_owned(prefix + "/values", layout_.dtype, {n, width});
  copy_rows(ids, static_cast<std::byte*>(values.data()));

  nlohmann::json record = layout_.to_json();
  record["rows"] = n;
  record["version"] = version;
  record["ledger"] = ledger_to_json(ledger);
  nlohmann::json slots = nlohmann::json::array();
  nlohmann::json metadata = nlohmann::json::object();
  if (n > 0 && rows_.at(ids.front())->optimizer) {
    // Every row's state dict has the same tensors ("p/<slot>", one row each) and metadata but
    // for the step count: the slots are stored as [rows, width] tensors, the steps as one i64.
    Tensor steps = state.add_owned(prefix + "/steps", DType::I64, {n});
    std::vector<Tensor> slot_tensors;
    for (std::int64_t i = 0; i < n; ++i) {
      const optim::StateDict dict = rows_.at(ids[static_cast<std::size_t>(i)])->optimizer->state_dict();
      if (i == 0) {
        for (const auto& tensor : dict.tensors) {
          const std::string slot = tensor.name.substr(std::string(kParameterName).size() + 1);
          slots.push_back({{"slot", slot}, {"dtype", std::string(to_string(tensor.dtype))}});
          slot_tensors.push_back(state.add_owned(prefix + "/state/" + slot, tensor.dtype, {n, width}));
        }
        for (const auto& [key, value] : dict.metadata) {
          if (key != kStepKey) metadata[key] = value;
        }
      }
      static_cast<std::int64_t*>(steps.data())[i] = std::stoll(dict.meta(kStepKey));
      for (std::size_t s = 0; s < dict.tensors.size(); ++s) {
        const auto& bytes = dict.tensors[s].bytes;
        std::memcpy(static_cast<std::byte*>(slot_tensors[s].data()) + static_cast<std::size_t>(i) * bytes.size(),
                    bytes.data(), bytes.size());
      }
    }
  }
  record["state_slots"] = slots;
  record["optimizer_metadata"] = metadata;

  const auto m = static_cast<std::int64_t>(step_sums_.size());
  record["summed_rows"] = m;
  if (m > 0) {
    const std::vector<std::int64_t> sum_ids = sorted_ids(step_sums_);
    Tensor sum_id_tensor = state.add_owned(prefix + "/sum_ids", DType::I64, {m});
    std::memcpy(sum_id_tensor.data(), sum_ids.data(), sum_ids.size() * sizeof(std::int64_t));
    Tensor sums = state.add_owned(prefix + "/sums", accumulator_dtype(layout_.dtype), {m, width});
    for (std::size_t i = 0; i < sum_ids.size(); ++i) {
      const auto& sum = step_sums_.at(sum_ids[i]);
      std::memcpy(static_cast<std::byte*>(sums.data()) + i * sum.size(), sum.data(), sum.size());
    }
  }
  return record;
}

void SparseTable::prepare_restore(checkpoint::CheckpointState& state, const std::string& prefix,
                                  const nlohmann::json& record) {
  const auto n = field<std::int64_t>(record, "rows");
  const auto m = field<std::int64_t>(record, "summed_rows");
  const auto width = static_cast<std::int64_t>(layout_.row_width);
  state.add_owned(prefix + "/ids", DType::I64, {n});
  state.add_owned(prefix + "/values", layout_.dtype, {n, width});
  const auto slots = field<nlohmann::json>(record, "state_slots");
  if (!slots.empty()) {
    state.add_owned(prefix + "/steps", DType::I64, {n});
    for (const auto& slot : slots) {
      state.add_owned(prefix + "/state/" + field<std::string>(slot, "slot"),
                      parse_dtype(field<std::string>(slot, "dtype")), {n, width});
    }
  }
  if (m > 0) {
    state.add_owned(prefix + "/sum_ids", DType::I64, {m});
    state.add_owned(prefix + "/sums", accumulator_dtype(layout_.dtype), {m, width});
  }
}

void SparseTable::finish_restore(const checkpoint::CheckpointState& state, const std::string& prefix,
                                 const nlohmann::json& record) {
  auto tensor = [&](const std::string& name) -> const Tensor& {
    const checkpoint::StateTensor* found = state.find(prefix + "/" + name);
    if (!found) throw Error(ErrorCode::Internal, "restore of " + layout_.name() + ": no tensor " + name);
    return found->tensor;
  };
  const auto n = static_cast<std::size_t>(field<std::int64_t>(record, "rows"));
  const auto* ids = static_cast<const std::int64_t*>(tensor("ids").data());
  const auto* values = static_cast<const std::byte*>(tensor("values").data());
  const auto slots = field<nlohmann::json>(record, "state_slots");
  const auto metadata = field<std::map<std::string, std::string>>(record, "optimizer_metadata");
  for (std::size_t i = 0; i < n; ++i) {
    Row& target = row(ids[i]);
    std::memcpy(target.values.data(), values + i * layout_.row_bytes(), layout_.row_bytes());
    if (!target.optimizer || slots.empty()) continue;
    optim::StateDict dict;
    dict.metadata = metadata;
    dict.metadata[kStepKey] = std::to_string(static_cast<const std::int64_t*>(tensor("steps").data())[i]);
    for (const auto& slot : slots) {
      const std::string name = field<std::string>(slot, "slot");
      const Tensor& all = tensor("state/" + name);
      const std::size_t bytes = layout_.row_width * dtype_size(all.dtype());
      const auto* begin = static_cast<const std::byte*>(all.data()) + i * bytes;
      dict.tensors.push_back({std::string(kParameterName) + "/" + name, all.dtype(),
                              {static_cast<std::int64_t>(layout_.row_width)}, std::vector<std::byte>(begin, begin + bytes)});
    }
    const double configured_lr = target.optimizer->lr();  // as DensePartition::finish_restore
    target.optimizer->load_state_dict(dict);
    target.optimizer->set_lr(configured_lr);
  }
  const auto m = static_cast<std::size_t>(field<std::int64_t>(record, "summed_rows"));
  if (m > 0) {
    const auto* sum_ids = static_cast<const std::int64_t*>(tensor("sum_ids").data());
    const Tensor& sums = tensor("sums");
    const std::size_t bytes = layout_.row_width * dtype_size(sums.dtype());
    for (std::size_t i = 0; i < m; ++i) {
      const auto* begin = static_cast<const std::byte*>(sums.data()) + i * bytes;
      step_sums_[sum_ids[i]] = std::vector<std::byte>(begin, begin + bytes);
    }
  }
  version = field<std::uint64_t>(record, "version");
  checkpointed_version = version;
  ledger = ledger_from_json(field<nlohmann::json>(record, "ledger"), options_.workers, layout_.name());
}

}  // namespace ronde::ps::server
