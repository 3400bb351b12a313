#include "client/retained_log.h"

#include <algorithm>

namespace ronde::ps::client {

std::size_t RetainedLog::size() const {
  std::size_t count = 0;
  for (const auto& [key, stream] : streams_) count += stream.size();
  return count;
}

void RetainedLog::erase_front(std::deque<Entry>& stream) {
  bytes_ -= stream.front().record->value_bytes();
  stream.pop_front();
}

bool RetainedLog::add(std::shared_ptr<const PushRecord> record) {
  auto& stream = streams_[key_of(*record)];
  // Keep a record of the same sequence (what the server applied under it), else insert in order.
  const bool held = std::any_of(stream.begin(), stream.end(), [&](const Entry& entry) {
    return entry.record->kind == record->kind && entry.record->sequence == record->sequence;
  });
  if (held) return true;
  bytes_ += record->value_bytes();
  auto position = std::find_if(stream.begin(), stream.end(), [&](const Entry& entry) {
    return entry.record->kind == v1::GRADIENT && entry.record->sequence > record->sequence;
  });
  if (record->kind == v1::INITIAL) position = stream.begin();
  stream.insert(position, Entry{next_order_++, std::move(record)});

  bool kept_all = true;
  while (bytes_ > max_bytes_) {
    // The stream whose front entry is the oldest.
    std::deque<Entry>* oldest = nullptr;
    for (auto& [key, candidate] : streams_) {
      if (!candidate.empty() && (oldest == nullptr || candidate.front().order < oldest->front().order)) oldest = &candidate;
    }
    if (oldest == nullptr || (oldest->size() == 1 && size() == 1)) break;  // never drop the only record
    erase_front(*oldest);
    kept_all = false;
  }
  return kept_all;
}

void RetainedLog::trim(const PushRecord& stream_of, std::uint64_t durable) {
  const auto found = streams_.find(key_of(stream_of));
  if (found == streams_.end()) return;
  auto& stream = found->second;
  while (!stream.empty()) {
    const PushRecord& front = *stream.front().record;
    const bool covered = front.kind == v1::INITIAL ? durable >= 1 : front.sequence <= durable;
    if (!covered) break;
    erase_front(stream);
  }
  if (stream.empty()) streams_.erase(found);
}

std::vector<std::shared_ptr<const PushRecord>> RetainedLog::in_replay_order() const {
  std::vector<std::shared_ptr<const PushRecord>> records;
  for (const auto& [key, stream] : streams_) {
    for (const auto& entry : stream) records.push_back(entry.record);
  }
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    const bool a_initial = a->kind == v1::INITIAL && !a->rows;
    const bool b_initial = b->kind == v1::INITIAL && !b->rows;
    return std::tuple(!a_initial, a->step, a->tensor, a->rows, a->partition, a->sequence) <
           std::tuple(!b_initial, b->step, b->tensor, b->rows, b->partition, b->sequence);
  });
  return records;
}

}  // namespace ronde::ps::client
