// The response cache: names negotiated before, with the parameters all ranks agreed on, so that
// later cycles can run them without the round trip to rank 0.
//
// Every rank holds an identical copy because the cache changes only while processing what every
// rank processes identically: the responses broadcast by rank 0 (put), the names that the cycle's
// bit-vector allreduce found ready everywhere (touch), and the slots that it found invalidated by
// some rank (erase). Entries live in numbered slots so that each cycle's bit vector has one
// position per slot; slots are reused after eviction or erasure, and slot_count() (the vector's
// length) only grows, up to the capacity. Eviction is least-recently-used.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/messages.h"

namespace ronde::engine {

class ResponseCache {
 public:
  explicit ResponseCache(std::size_t capacity) : capacity_(capacity) {}

  enum class Lookup { Miss, Hit, Changed };
  struct Found {
    Lookup result = Lookup::Miss;
    std::size_t slot = 0;  // Hit or Changed
  };
  // Whether `request` can run from the cache (Hit), was negotiated with other parameters
  // (Changed: the entry must be invalidated on every rank), or is unknown (Miss).
  Found lookup(const Request& request) const;

  // Records an agreed response (replacing an entry of the same name). Returns the slot it went
  // to (none when the capacity is 0); `evicted` receives the slot of the entry evicted to make
  // room, if one was.
  std::optional<std::size_t> put(const Request& agreed, std::optional<std::size_t>& evicted);
  // Marks `slot` most recently used.
  void touch(std::size_t slot);
  void erase(std::size_t slot);

  bool occupied(std::size_t slot) const { return slot < slots_.size() && slots_[slot].has_value(); }
  const Request& at(std::size_t slot) const { return *slots_[slot]; }
  std::size_t slot_count() const { return slots_.size(); }
  std::size_t size() const { return by_name_.size(); }

 private:
  std::size_t capacity_;
  std::vector<std::optional<Request>> slots_;
  std::vector<std::size_t> free_slots_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::list<std::size_t> recency_;  // most recent first
  std::unordered_map<std::size_t, std::list<std::size_t>::iterator> position_;
};

}  // namespace ronde::engine
