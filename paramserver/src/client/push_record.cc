#include "client/push_record.h"

#include <cstring>
#include <vector>

namespace ronde::ps::client {

std::string PushRecord::describe() const {
  std::string text = rows ? "PushRows of '" + tensor + "'" : "Push of '" + tensor + "' partition " + std::to_string(partition);
  if (kind == v1::INITIAL && !rows) return text + " (initial values)";
  return text + " (step " + std::to_string(step) + ", sequence " + std::to_string(sequence) + ")";
}

std::shared_ptr<const PushRecord> PushRecord::owned() const {
  auto copy = std::make_shared<PushRecord>(*this);
  if (owner) return copy;
  // One buffer holds the ids (8-byte aligned, first) and then the values.
  const std::size_t id_bytes = ids.size() * sizeof(std::int64_t);
  auto storage = std::make_shared<std::vector<std::int64_t>>((id_bytes + values.size() + 7) / 8);
  auto* base = reinterpret_cast<std::byte*>(storage->data());
  if (id_bytes > 0) std::memcpy(base, ids.data(), id_bytes);
  if (!values.empty()) std::memcpy(base + id_bytes, values.data(), values.size());
  copy->ids = {storage->data(), ids.size()};
  copy->values = {base + id_bytes, values.size()};
  copy->owner = storage;
  return copy;
}

}  // namespace ronde::ps::client
