// PushRows and PullRows: sparse rows of one table, with the same checks, waits and exactly-once
// rules as the dense calls (push_call.cc, pull_call.cc). Rows are created on first touch.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "common/wire.h"
#include "server/call_wait.h"
#include "server/calls.h"
#include "server/element_ops.h"
#include "server/rejection.h"
#include "server/sequence_gap.h"
#include "server/sync_rules.h"

namespace ronde::ps::server {
namespace {

// Bytes of per-row sums for `rows` rows of `table` (in its accumulator type), for error messages.
std::uint64_t sum_bytes(const SparseTable& table, std::size_t rows) {
  return rows * table.layout().row_width * dtype_size(accumulator_dtype(table.layout().dtype));
}

void check_worker(const ServerCore& core, std::uint32_t worker, const std::string& who) {
  if (worker >= core.options.workers) {
    reject(who + ": worker " + std::to_string(worker) + " is not one of this server's " +
           std::to_string(core.options.workers) + " workers");
  }
}

void check_rows_header(const ServerCore& core, const SparseTable& table, const v1::RowsHeader& header,
                       const std::string& who) {
  const TableLayout& layout = table.layout();
  DType dtype;
  try {
    dtype = wire::from_proto(header.dtype());
  } catch (const Error& error) {
    reject(who + ": " + error.message() + "; the table is " + layout.describe());
  }
  if (dtype != layout.dtype || header.row_width() != layout.row_width) {
    reject(who + ": pushes " + std::string(to_string(dtype)) + "[" + std::to_string(header.rows()) + ", " +
           std::to_string(header.row_width()) + "], but the table has " + layout.describe() + " (shape [rows, " +
           std::to_string(layout.row_width) + "])");
  }
  if (header.rows() > core.options.max_request_bytes / std::max<std::size_t>(layout.row_bytes(), 1)) {
    reject(who + ": " + std::to_string(header.rows()) + " rows of " + std::to_string(layout.row_bytes()) +
           " bytes exceed --max-request-bytes " + std::to_string(core.options.max_request_bytes));
  }
  if (header.sequence() == 0) reject(who + ": push sequences start at 1");
  if (header.step() < 0) reject(who + ": a step cannot be negative");
}

// Creates the rows of `ids` that do not exist yet (the caller holds the table's lock), counting the
// change; RESOURCE_EXHAUSTED naming the request and the bytes when they cannot be allocated (the
// rows created before that stay: they hold their initial values).
void ensure_rows(ServerCore& core, SparseTable& table, std::span<const std::int64_t> ids, const std::string& who) {
  const std::size_t before = table.row_count();
  auto count_created = [&] {
    if (table.row_count() > before) core.changes.fetch_add(1);
  };
  try {
    allocating(who + " (creating the values of up to " + std::to_string(ids.size()) +
                   " rows, and their gradients and optimizer state)",
               ids.size() * table.layout().row_bytes(), [&] { table.ensure_rows(ids); });
  } catch (...) {
    count_created();
    throw;
  }
  count_created();
}

struct ReceivedRows {
  std::vector<std::int64_t> ids;
  std::unique_ptr<std::byte[]> values;
};

ReceivedRows receive_rows(grpc::ServerContext& context, grpc::ServerReader<v1::RowsChunk>& reader,
                          const TableLayout& layout, std::uint64_t rows, const std::string& who) {
  ReceivedRows received;
  const std::size_t row_bytes = layout.row_bytes();
  allocating(who + " (staging its rows)", rows * row_bytes, [&] {
    received.ids.reserve(rows);
    received.values.reset(new std::byte[std::max<std::size_t>(rows * row_bytes, 1)]);
  });
  v1::RowsChunk chunk;
  while (reader.Read(&chunk)) {
    if (chunk.has_header()) reject(who + ": a second header in one PushRows stream");
    const v1::RowsData& data = chunk.data();
    const auto count = static_cast<std::size_t>(data.ids_size());
    if (count > rows - received.ids.size()) {
      reject(who + ": more rows than the header's " + std::to_string(rows));
    }
    if (data.values().size() != count * row_bytes) {
      reject(who + ": a chunk of " + std::to_string(count) + " ids carries " + std::to_string(data.values().size()) +
             " bytes of values, expected " + std::to_string(count * row_bytes) + " (" + layout.describe() + ")");
    }
    std::memcpy(received.values.get() + received.ids.size() * row_bytes, data.values().data(), data.values().size());
    received.ids.insert(received.ids.end(), data.ids().begin(), data.ids().end());
  }
  if (context.IsCancelled()) reject(grpc::StatusCode::CANCELLED, who + ": cancelled by the client");
  if (received.ids.size() != rows) {
    reject(who + ": truncated push: the stream ended after " + std::to_string(received.ids.size()) + " of " +
           std::to_string(rows) + " rows");
  }
  return received;
}

}  // namespace

void push_rows_call(ServerCore& core, grpc::ServerContext& context, grpc::ServerReader<v1::RowsChunk>& reader,
                    v1::PushReply& reply) {
  v1::RowsChunk first;
  if (!reader.Read(&first)) reject("an empty PushRows stream: the first message must be a RowsHeader");
  if (!first.has_header()) reject("a PushRows stream must start with a RowsHeader, not data");
  if (first.has_data()) reject("a PushRows stream's RowsHeader message must carry no data");
  const v1::RowsHeader header = first.header();
  const std::string who = "push of " + std::to_string(header.rows()) + " rows to table '" + header.tensor() +
                          "' by worker " + std::to_string(header.worker()) + " (step " + std::to_string(header.step()) +
                          ", sequence " + std::to_string(header.sequence()) + ")";
  check_worker(core, header.worker(), who);
  core.note_worker(header.worker(), context.peer(), "PushRows");
  const auto table = core.registry.table_or_reject(header.tensor(), who);
  check_rows_header(core, *table, header, who);
  const std::uint32_t worker = header.worker();
  const std::int64_t step = header.step();
  const bool sync = core.options.mode == Mode::Sync;
  {
    // Before the rows. Last sequences only grow, so what holds now holds when the push is applied.
    std::lock_guard<std::mutex> lock(table->mutex);
    check_sequence_gap(core, *table, worker, header.sequence(), header.previous_sequence(), header.gap_allowed(), who);
    if (sync && !table->ledger.is_duplicate(worker, header.sequence())) check_sync_step(*table, worker, step, who);
  }

  const ReceivedRows rows = receive_rows(context, reader, table->layout(), header.rows(), who);

  CallWait wait(context, core.stopping, core.worker_timeout());
  std::unique_lock<std::mutex> lock(table->mutex);
  WorkerLedger& ledger = table->ledger;
  wait.until(
      lock, table->changed,
      [&] {
        return ledger.is_duplicate(worker, header.sequence()) || !sync ||
               static_cast<std::int64_t>(table->version) >= step;
      },
      [&] {
        return "every worker's push of step " + std::to_string(table->version) + " of " + table->layout().name() +
               " (" + std::to_string(ledger.contributors()) + " of " + std::to_string(core.options.workers) +
               " pushed; not " + ledger.missing_contributors() + ")";
      });
  const bool taken = !ledger.is_duplicate(worker, header.sequence());
  if (taken) {
    // The rows first, so that running out of memory refuses the push before anything is summed or
    // updated (rows start from their init rule: creating them early changes no value).
    ensure_rows(core, *table, rows.ids, who);
    if (sync) {
      check_sync_step(*table, worker, step, who);
      allocating(who + " (the step's sums of its rows)", sum_bytes(*table, rows.ids.size()),
                 [&] { table->accumulate(rows.ids, rows.values.get()); });
      ledger.contributed[worker] = true;
      ledger.take(worker, header.sequence(), step);
      if (ledger.contributors() == core.options.workers) {
        table->apply_accumulated();
        ledger.clear_contributions();
      }
    } else {
      allocating(who + " (the sums of its rows)", sum_bytes(*table, rows.ids.size()),
                 [&] { table->apply(rows.ids, rows.values.get()); });
      ledger.take(worker, header.sequence(), step);
    }
  }
  reply.set_version(table->version);
  reply.set_duplicate(!taken);
  reply.set_durable_sequence(ledger.durable_sequence[worker]);
  reply.set_incarnation(core.incarnation);
  if (taken) {
    core.changes.fetch_add(1);
    table->changed.notify_all();
    const std::uint64_t version = table->version;
    const std::uint64_t checkpointed = table->checkpointed_version;
    lock.unlock();
    core.advanced(version, checkpointed);
  }
}

void pull_rows_call(ServerCore& core, grpc::ServerContext& context, const v1::PullRowsRequest& request,
                    grpc::ServerWriter<v1::RowsChunk>& writer) {
  const std::string who = "pull of " + std::to_string(request.ids_size()) + " rows of table '" + request.tensor() +
                          "' by worker " + std::to_string(request.worker()) + " (step " + std::to_string(request.step()) +
                          ")";
  check_worker(core, request.worker(), who);
  core.note_worker(request.worker(), context.peer(), "PullRows");
  if (request.step() < 0) reject(who + ": a step cannot be negative");
  if (static_cast<std::size_t>(request.ids_size()) > wire::kMaxPullRowIds) {
    reject(who + ": at most " + std::to_string(wire::kMaxPullRowIds) + " ids per PullRows call");
  }
  const auto table = core.registry.table_or_reject(request.tensor(), who);
  const TableLayout& layout = table->layout();
  if (static_cast<std::uint64_t>(request.ids_size()) * layout.row_bytes() > core.options.max_request_bytes) {
    reject(who + ": the rows would exceed --max-request-bytes " + std::to_string(core.options.max_request_bytes));
  }
  const std::int64_t step = request.step();
  const auto tau = static_cast<std::int64_t>(core.options.staleness);
  const std::vector<std::int64_t> ids(request.ids().begin(), request.ids().end());
  const std::size_t row_bytes = layout.row_bytes();
  std::unique_ptr<std::byte[]> copy = allocating(who + " (copying its rows)", ids.size() * row_bytes, [&] {
    return std::unique_ptr<std::byte[]>(new std::byte[std::max<std::size_t>(ids.size() * row_bytes, 1)]);
  });
  {
    CallWait wait(context, core.stopping, core.worker_timeout());
    std::unique_lock<std::mutex> lock(table->mutex);
    if (core.options.mode == Mode::Sync && step > static_cast<std::int64_t>(table->version) + 1) {
      reject(who + ": wrong step: the table is at step " + std::to_string(table->version) + ", so step " +
             std::to_string(step) + " cannot be reached before this worker pushes more");
    }
    wait.until(
        lock, table->changed,
        [&] {
          switch (core.options.mode) {
            case Mode::Sync: return static_cast<std::int64_t>(table->version) >= step;
            case Mode::BoundedStaleness: return table->ledger.slowest() >= step - tau;
            case Mode::Async: return true;
          }
          return true;
        },
        [&] {
          if (core.options.mode == Mode::Sync) {
            return "every worker's push of step " + std::to_string(table->version) + " of " + layout.name() +
                   " (not " + table->ledger.missing_contributors() + ")";
          }
          return "the slowest worker to push " + std::to_string(step - tau) + " steps of " + layout.name() +
                 " (behind: " + table->ledger.behind(step - tau) + ")";
        });
    ensure_rows(core, *table, ids, who);
    table->copy_rows(ids, copy.get());
  }

  v1::RowsChunk chunk;
  v1::RowsHeader* header = chunk.mutable_header();
  header->set_tensor(request.tensor());
  header->set_worker(request.worker());
  header->set_step(step);
  header->set_dtype(wire::to_proto(layout.dtype));
  header->set_row_width(layout.row_width);
  header->set_rows(ids.size());
  if (!writer.Write(chunk)) reject(grpc::StatusCode::CANCELLED, who + ": the client went away");
  chunk.clear_header();  // later messages carry data only
  const std::size_t rows_per_chunk = std::max<std::size_t>(1, kSendChunkBytes / std::max<std::size_t>(row_bytes, 1));
  for (std::size_t sent = 0; sent < ids.size();) {
    const std::size_t count = std::min(rows_per_chunk, ids.size() - sent);
    v1::RowsData* data = chunk.mutable_data();
    data->clear_ids();
    data->mutable_ids()->Add(ids.begin() + static_cast<std::ptrdiff_t>(sent),
                             ids.begin() + static_cast<std::ptrdiff_t>(sent + count));
    data->set_values(copy.get() + sent * row_bytes, count * row_bytes);
    if (!writer.Write(chunk)) reject(grpc::StatusCode::CANCELLED, who + ": the client went away");
    sent += count;
  }
}

}  // namespace ronde::ps::server
