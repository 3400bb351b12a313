// Push: a client stream of a PushHeader, then data chunks, into one dense partition.
//
// Order of checks (nothing changes until the last step):
//  1. the first message is a header; worker, kind, partition, dtype and length agree with the
//     partition; the size is within --max-request-bytes; the server has taken the worker's
//     previous push (sequence_gap.h); sync steps are plausible;
//  2. the data is received whole (a second header, more or less data than the header says is
//     refused) - the partition is not locked meanwhile; one data message carrying all of it is
//     kept as it is, several are copied into a staging buffer;
//  3. under the partition's lock: a duplicate (sequence already taken) is acknowledged as such;
//     a gradient waits for the initial values and, in sync mode, for its step; then it is summed
//     into the step (sync) or applied (async, bounded staleness) and acknowledged.
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "common/wire.h"
#include "server/call_wait.h"
#include "server/calls.h"
#include "server/rejection.h"
#include "server/sequence_gap.h"
#include "server/sync_rules.h"

namespace ronde::ps::server {
namespace {

std::string who_pushes(const v1::PushHeader& header) {
  return std::string(header.kind() == v1::INITIAL ? "initial values of" : "push to") + " tensor '" + header.tensor() +
         "' partition " + std::to_string(header.partition()) + " by worker " + std::to_string(header.worker()) +
         " (step " + std::to_string(header.step()) + ", sequence " + std::to_string(header.sequence()) + ")";
}

// Step 1, the parts that need no lock.
void check_header(const ServerCore& core, const DensePartition& partition, const v1::PushHeader& header,
                  const std::string& who) {
  const DenseLayout& layout = partition.layout();
  if (header.kind() != v1::GRADIENT && header.kind() != v1::INITIAL) {
    reject(who + ": push kind " + std::to_string(static_cast<int>(header.kind())) + " is not GRADIENT or INITIAL");
  }
  DType dtype;
  try {
    dtype = wire::from_proto(header.dtype());
  } catch (const Error& error) {
    reject(who + ": " + error.message() + "; the partition is " + std::string(to_string(layout.dtype)));
  }
  if (dtype != layout.dtype || header.length() != layout.length) {
    reject(who + ": pushes " + std::string(to_string(dtype)) + "[" + std::to_string(header.length()) +
           "], but the partition is " + std::string(to_string(layout.dtype)) + "[" + std::to_string(layout.length) +
           "] (" + layout.describe() + ")");
  }
  if (layout.bytes() > core.options.max_request_bytes) {
    reject(who + ": " + std::to_string(layout.bytes()) + " bytes exceed --max-request-bytes " +
           std::to_string(core.options.max_request_bytes));
  }
  if (header.kind() == v1::INITIAL && header.worker() != 0) {
    reject(who + ": only worker 0 pushes a tensor's initial values");
  }
  if (header.kind() == v1::GRADIENT) {
    if (header.sequence() == 0) reject(who + ": push sequences start at 1");
    if (header.step() < 0) reject(who + ": a step cannot be negative");
  }
}

// Step 2's result: the pushed bytes. When the stream's one data message carries all of them (the
// client's chunk size is at least the partition's size, as with the defaults), that message's own
// buffer is kept: no copy. Otherwise the chunks are copied into a pooled staging buffer.
class Staged {
 public:
  // Never null (an empty partition's push stages nothing).
  const std::byte* data() const { return data_ != nullptr ? data_ : &empty_; }

  void keep(std::unique_ptr<std::string> whole) {
    whole_ = std::move(whole);
    data_ = reinterpret_cast<const std::byte*>(whole_->data());
  }
  std::byte* lease(BufferPool& pool, std::size_t bytes, const std::string& who) {
    lease_ = allocating(who + " (staging its data)", bytes, [&] { return std::make_unique<BufferPool::Lease>(pool, bytes); });
    data_ = lease_->data();
    return lease_->data();
  }

 private:
  const std::byte* data_ = nullptr;
  std::byte empty_{};
  std::unique_ptr<std::string> whole_;
  std::unique_ptr<BufferPool::Lease> lease_;
};

// Step 2.
void receive(ServerCore& core, grpc::ServerContext& context, grpc::ServerReader<v1::PushChunk>& reader,
             std::size_t bytes, const std::string& who, Staged& staged) {
  std::size_t received = 0;
  std::byte* out = nullptr;  // the pooled buffer, once chunks are copied
  v1::PushChunk chunk;
  while (reader.Read(&chunk)) {
    if (chunk.has_header()) reject(who + ": a second header in one push stream");
    const std::size_t size = chunk.data().size();
    if (size > bytes - received) {
      reject(who + ": more data than the header's length (" + std::to_string(received + size) + " bytes, " +
             std::to_string(bytes) + " expected)");
    }
    if (size == 0) continue;
    if (received == 0 && size == bytes) {
      staged.keep(std::unique_ptr<std::string>(chunk.release_data()));
    } else {
      if (out == nullptr) out = staged.lease(core.buffers, bytes, who);
      std::memcpy(out + received, chunk.data().data(), size);
    }
    received += size;
  }
  if (context.IsCancelled()) reject(grpc::StatusCode::CANCELLED, who + ": cancelled by the client");
  if (received != bytes) {
    reject(who + ": truncated push: the stream ended after " + std::to_string(received) + " of " +
           std::to_string(bytes) + " bytes");
  }
}

}  // namespace

void push_call(ServerCore& core, grpc::ServerContext& context, grpc::ServerReader<v1::PushChunk>& reader,
               v1::PushReply& reply) {
  v1::PushChunk first;
  if (!reader.Read(&first)) reject("an empty Push stream: the first message must be a PushHeader");
  if (!first.has_header()) reject("a Push stream must start with a PushHeader, not data");
  if (!first.data().empty()) reject("a Push stream's PushHeader message must carry no data");
  const v1::PushHeader header = first.header();
  const std::string who = who_pushes(header);
  if (header.worker() >= core.options.workers) {
    reject(who + ": worker " + std::to_string(header.worker()) + " is not one of this server's " +
           std::to_string(core.options.workers) + " workers");
  }
  core.note_worker(header.worker(), context.peer(), "Push");
  const auto partition = core.registry.dense_or_reject(header.tensor(), header.partition(), who);
  check_header(core, *partition, header, who);
  const std::uint32_t worker = header.worker();
  const bool gradient = header.kind() == v1::GRADIENT;
  const bool sync = core.options.mode == Mode::Sync;
  if (gradient) {
    // Before the data. Last sequences only grow, so what holds now holds when the push is applied.
    std::lock_guard<std::mutex> lock(partition->mutex);
    check_sequence_gap(core, *partition, worker, header.sequence(), header.previous_sequence(), header.gap_allowed(), who);
    if (sync && !partition->ledger.is_duplicate(worker, header.sequence())) check_sync_step(*partition, worker, header.step(), who);
  }

  const std::size_t bytes = partition->layout().bytes();
  Staged staging;
  receive(core, context, reader, bytes, who, staging);

  CallWait wait(context, core.stopping, core.worker_timeout());
  std::unique_lock<std::mutex> lock(partition->mutex);
  WorkerLedger& ledger = partition->ledger;
  bool taken = false;
  if (!gradient) {
    if (!partition->initialized) {
      // Initial values are idempotent and stay outside the gradients' sequence (whatever sequence
      // the header carries): recording it would make later gradients look like duplicates.
      partition->set_initial(staging.data());
      taken = true;
      core.log.debug(partition->layout().name(), " initialized by worker 0");
    }
  } else {
    const auto step = header.step();
    wait.until(
        lock, partition->changed,
        [&] {
          return ledger.is_duplicate(worker, header.sequence()) ||
                 (partition->initialized && (!sync || static_cast<std::int64_t>(partition->version) >= step));
        },
        [&] {
          if (!partition->initialized) return "worker 0's initial values of " + partition->layout().name();
          return "every worker's push of step " + std::to_string(partition->version) + " of " +
                 partition->layout().name() + " (" + std::to_string(ledger.contributors()) + " of " +
                 std::to_string(core.options.workers) + " pushed; not " + ledger.missing_contributors() + ")";
        },
        [&] { return partition->initialized; });
    if (!ledger.is_duplicate(worker, header.sequence())) {
      if (sync) {
        check_sync_step(*partition, worker, header.step(), who);
        allocating(who + " (the step's sum)", partition->layout().bytes(), [&] { partition->accumulate(staging.data()); });
        ledger.contributed[worker] = true;
        ledger.take(worker, header.sequence(), step);
        if (ledger.contributors() == core.options.workers) {
          partition->apply_accumulated();
          ledger.clear_contributions();
        }
      } else {
        partition->apply(staging.data());
        ledger.take(worker, header.sequence(), step);
      }
      taken = true;
    }
  }
  reply.set_version(partition->version);
  reply.set_duplicate(!taken);
  reply.set_durable_sequence(ledger.durable_sequence[worker]);
  reply.set_incarnation(core.incarnation);
  if (taken) {
    core.changes.fetch_add(1);
    partition->changed.notify_all();
    const std::uint64_t version = partition->version;
    const std::uint64_t checkpointed = partition->checkpointed_version;
    lock.unlock();
    core.advanced(version, checkpointed);
  }
}

}  // namespace ronde::ps::server
