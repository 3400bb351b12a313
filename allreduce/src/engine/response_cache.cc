#include "engine/response_cache.h"

#include <algorithm>

namespace ronde::engine {

ResponseCache::Found ResponseCache::lookup(const Request& request) const {
  const auto it = by_name_.find(request.name);
  if (it == by_name_.end()) return {};
  return {same_agreement(*slots_[it->second], request) ? Lookup::Hit : Lookup::Changed, it->second};
}

std::optional<std::size_t> ResponseCache::put(const Request& agreed, std::optional<std::size_t>& evicted) {
  evicted.reset();
  if (capacity_ == 0) return std::nullopt;
  if (const auto it = by_name_.find(agreed.name); it != by_name_.end()) {
    slots_[it->second] = agreed;
    touch(it->second);
    return it->second;
  }
  std::size_t slot = 0;
  if (by_name_.size() >= capacity_) {  // evict the least recently used; its slot is reused
    evicted = recency_.back();
    erase(*evicted);
  }
  if (!free_slots_.empty()) {
    // Lowest free slot first, so that every rank picks the same one.
    const auto lowest = std::min_element(free_slots_.begin(), free_slots_.end());
    slot = *lowest;
    free_slots_.erase(lowest);
  } else {
    slot = slots_.size();
    slots_.emplace_back();
  }
  slots_[slot] = agreed;
  slots_[slot]->waited_ms = 0;
  by_name_[agreed.name] = slot;
  recency_.push_front(slot);
  position_[slot] = recency_.begin();
  return slot;
}

void ResponseCache::touch(std::size_t slot) {
  const auto it = position_.find(slot);
  if (it == position_.end()) return;
  recency_.splice(recency_.begin(), recency_, it->second);
}

void ResponseCache::erase(std::size_t slot) {
  if (!occupied(slot)) return;
  by_name_.erase(slots_[slot]->name);
  recency_.erase(position_.at(slot));
  position_.erase(slot);
  slots_[slot].reset();
  free_slots_.push_back(slot);
}

}  // namespace ronde::engine
