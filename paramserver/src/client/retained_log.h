// The pushes one server acknowledged that its last committed checkpoint may not hold yet, kept so
// that they can be replayed when the server restarts from that checkpoint (client.h, EXACTLY ONCE).
//
// A record is dropped once a reply's durable_sequence for its stream (tensor partition, or table)
// covers its sequence; an INITIAL record (sequence 0) once any durable_sequence >= 1 shows that a
// checkpoint holds the partition. MEMORY BOUND: at most `max_bytes` of values are kept per server;
// beyond that the oldest records are dropped (add() says so, and the client warns once that
// exactly-once across a restart of that server is no longer guaranteed). With checkpoints every K
// steps a worker keeps about K+1 pushes of the tensors that server holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "client/push_record.h"

namespace ronde::ps::client {

class RetainedLog {
 public:
  explicit RetainedLog(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Keeps an owned record, unless one of the same stream, kind and sequence is kept already (a
  // retry, or a push re-sent after a failure with other values: the server applied one of them
  // under the sequence and takes the others for its duplicates, so a replay of either is dropped
  // or applies the sequence once). Returns false when the bound forced older records out.
  bool add(std::shared_ptr<const PushRecord> record);
  // Drops the stream's records that a checkpoint holding sequences <= durable covers.
  void trim(const PushRecord& stream, std::uint64_t durable);
  // Every record in replay order: INITIAL values first, then by step, tensor, stream and sequence,
  // so that every worker replays a sync step's pushes in the same order.
  std::vector<std::shared_ptr<const PushRecord>> in_replay_order() const;

  std::size_t bytes() const { return bytes_; }
  std::size_t size() const;

 private:
  using Key = std::tuple<std::string, bool, std::uint32_t>;  // tensor, rows, partition
  struct Entry {
    std::uint64_t order;  // insertion counter: the oldest entry goes first when over the bound
    std::shared_ptr<const PushRecord> record;
  };
  static Key key_of(const PushRecord& record) { return {record.tensor, record.rows, record.partition}; }
  void erase_front(std::deque<Entry>& stream);

  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::uint64_t next_order_ = 0;
  std::map<Key, std::deque<Entry>> streams_;  // each in sequence order
};

}  // namespace ronde::ps::client
