// The state behind ronde::ps::Client, shared by its parts: client.cc (connecting, lookups,
// accessors), dense.cc (declare, push, pull, push_pull) and sparse.cc (sparse rows).
//
// STEPS AND SEQUENCES (per partition, or per table and server): a push carries the step and the
// sequence of its cursor, and advances both by one. Declare sets the cursor from the server's
// version:
//  - sync: step = version (the steps every worker completed), sequence = version + 1, so that the
//    sequence of the push of step s is always s + 1. A worker restarted against a server's state
//    continues right after the steps it completed; if its push of the step in progress had already
//    been taken, the server sees that sequence again and drops the new push as a duplicate (the
//    step then counts the push the worker made before it restarted).
//  - async and bounded staleness: step = 0 (the step is this worker's own count: a version counts
//    every worker's pushes and would make a late or restarted worker look far ahead), and
//    sequence = version + 1. The version counts every push applied, this worker's included, so it
//    is at least every sequence this worker's applied pushes used: a restarted worker's pushes are
//    not taken for duplicates of its earlier ones. (One exception: a push the old process still
//    had in flight that lands after the new declare takes the new process's first sequence, and
//    the new process's first push is then dropped as its duplicate: one update, not two.)
// INITIAL pushes carry sequence 0: they are idempotent (ignored once the values are set) and stay
// outside the sequence of gradients. Each gradient also carries the cursor's previous sequence
// (0 for the first push after declare, whose sequence may jump), so that a restarted server can
// tell a push that overtook the replay of lost ones (server/sequence_gap.h).
//
// A push job advances the cursors when it starts; if any of its pushes fails, they all go back to
// where the job found them (push_or_rewind), and the next push re-uses those steps and sequences.
// A server that took the failed push (its acknowledgement was lost) sees the sequence again and
// acknowledges the new push as its duplicate; one that did not takes the new push. Either way each
// step is applied once, and the client's steps match every server's.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "client/connection.h"
#include "client/job_queue.h"
#include "client/push_record.h"
#include "client/thread_pool.h"
#include "ronde/core/logging.h"
#include "ronde/core/topology.h"
#include "ronde/ps/client.h"
#include "ronde_ps.pb.h"

namespace ronde::ps::client {

// Where the next push of one partition (or of one table on one server) goes.
struct Cursor {
  std::int64_t step = 0;
  std::uint64_t sequence = 1;
  std::uint64_t previous_sequence = 0;  // of the last push made from this cursor; 0: none since declare
};

struct DenseTensor {
  TensorPlacement placement;
  std::vector<Cursor> cursors;        // per partition
  std::int64_t pending_pushes = 0;    // submitted, not yet given a step
};

struct Table {
  DType dtype = DType::F32;
  std::int64_t row_width = 0;
  RowOptions options;
  std::vector<Cursor> cursors;        // per server
  std::int64_t pending_pushes = 0;
};

// The cursor a declare that found `version` sets (see STEPS AND SEQUENCES above).
Cursor cursor_after_declare(Mode mode, std::uint64_t version);
// A cursor from a new declare, never behind the one this client already had (re-declaring must not
// reuse sequences the server has seen).
Cursor merged(const Cursor& existing, const Cursor& declared);
std::span<const std::byte> bytes_of(const Tensor& tensor);
// Error(InvalidArgument) naming `what` and the tensor for memory the client cannot read.
void require_cpu(const Tensor& tensor, std::string_view what, std::string_view name);

}  // namespace ronde::ps::client

namespace ronde::ps {

struct Client::Impl {
  explicit Impl(ClientOptions given)
      : options(std::move(given)),
        log(LogLevel::Warn, "ronde ps worker " + std::to_string(options.worker) + " " + local_host_name()),
        shard_map(static_cast<std::uint32_t>(options.servers.size()), options.partition_bytes),
        pool(options.threads),
        jobs(pool) {}
  ~Impl() { pool.drain(); }  // every job ends before the connections and tensors go

  ClientOptions options;
  Logger log;
  ShardMap shard_map;
  std::vector<std::unique_ptr<client::Connection>> connections;
  Mode mode = Mode::Sync;

  mutable std::mutex mutex;  // guards the maps and every cursor
  std::map<std::string, std::shared_ptr<client::DenseTensor>, std::less<>> tensors;
  std::map<std::string, std::shared_ptr<client::Table>, std::less<>> tables;

  client::ThreadPool pool;
  client::JobQueue jobs;

  client::Connection& server(std::uint32_t index) { return *connections.at(index); }
  // Deadlines: a call that may wait for other workers gets wait_timeout.
  std::chrono::milliseconds push_timeout() const {
    return mode == Mode::Sync ? options.wait_timeout : options.call_timeout;
  }
  std::chrono::milliseconds pull_timeout() const {
    return mode == Mode::Async ? options.call_timeout : options.wait_timeout;
  }
  // Whether such calls may block on other workers (they then run on waiting threads: thread_pool.h).
  bool pushes_wait() const { return mode == Mode::Sync; }
  bool pulls_wait() const { return mode != Mode::Async; }

  void connect();
  std::shared_ptr<client::DenseTensor> dense(std::string_view name) const;
  std::shared_ptr<client::Table> table(std::string_view name) const;
  void check_matches(const client::DenseTensor& tensor, const Tensor& given, std::string_view what) const;

  // Phases shared by the operations.
  using Replies = std::shared_ptr<std::vector<v1::DeclareReply>>;
  client::Phase declare_phase(std::shared_ptr<client::DenseTensor> tensor, Replies replies);
  client::Phase initial_phase(std::shared_ptr<client::DenseTensor> tensor, Replies replies, Tensor initial);
  // Pushes every partition; with `out`, each partition's task then pulls that partition for the
  // next step at once (push_pull: no barrier between the pushes and the pulls).
  client::Phase push_phase(std::shared_ptr<client::DenseTensor> tensor, Tensor gradient,
                           std::optional<Tensor> out = std::nullopt);
  // `waits`: the pulls may block on other workers (the mode's rule, or worker 0's initial values).
  client::Phase pull_phase(std::shared_ptr<client::DenseTensor> tensor, Tensor out, std::chrono::milliseconds timeout,
                           bool waits);
  void pull_partition(const client::DenseTensor& tensor, const Partition& partition, std::int64_t step, Tensor out,
                      std::chrono::milliseconds timeout);
  // One push task of a job that advanced `cursors` from `before` (client.h, FAILED PUSHES): pushes
  // `record` to server `index`; when that fails, puts every cursor back to `before` (guarded by
  // `mutex`) and rethrows, so the next push of the tensor or table carries the same steps and
  // sequences.
  void push_or_rewind(std::uint32_t index, const client::PushRecord& record, std::vector<client::Cursor>& cursors,
                      const std::vector<client::Cursor>& before);
};

}  // namespace ronde::ps
