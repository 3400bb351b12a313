// ronde::ps::Client's sparse tables: declare_rows, push_rows and pull_rows. Every push goes to
// every server (an empty batch where no row lives), so that each server sees every step of a
// table: sync mode completes a step once every worker pushed it.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "client/calls.h"
#include "client/client_impl.h"
#include "client/push_record.h"
#include "client/rows.h"
#include "common/wire.h"
#include "ronde/core/error.h"

namespace ronde::ps {

using client::Cursor;
using client::cursor_after_declare;
using client::merged;
using client::Phase;
using client::PushRecord;
using client::require_cpu;
using client::Table;
using client::Task;

namespace {

// Whether `tensor` holds exactly `count` rows of `width` elements (a product beyond 64 bits never
// does: it must not wrap into a match).
bool holds_rows(const Tensor& tensor, std::size_t count, std::uint64_t width) {
  std::uint64_t elements = 0;
  return !__builtin_mul_overflow(static_cast<std::uint64_t>(count), width, &elements) &&
         static_cast<std::uint64_t>(tensor.numel()) == elements;
}

}  // namespace

// ---- sparse rows -------------------------------------------------------------------------------

std::future<void> Client::declare_rows(std::string name, DType dtype, std::int64_t row_width, RowOptions options) {
  Impl& impl = *impl_;
  if (name.empty()) throw Error(ErrorCode::InvalidArgument, "declare_rows: a sparse table needs a non-empty name");
  if (row_width <= 0) {
    throw Error(ErrorCode::InvalidArgument, "declare_rows of '" + name + "': row_width " + std::to_string(row_width) + " is not positive");
  }
  if (static_cast<std::uint64_t>(row_width) > UINT64_MAX / dtype_size(dtype)) {
    throw Error(ErrorCode::InvalidArgument, "declare_rows of '" + name + "': rows of " + std::to_string(row_width) + " " +
                                                std::string(to_string(dtype)) + " elements take more than 2^64 bytes");
  }
  std::shared_ptr<Table> table;
  {
    std::lock_guard lock(impl.mutex);
    if (impl.tensors.contains(name)) {
      throw Error(ErrorCode::InvalidArgument, "declare_rows of '" + name + "': the name is already a dense tensor");
    }
    auto& slot = impl.tables[name];
    if (slot && (slot->dtype != dtype || slot->row_width != row_width)) {
      throw Error(ErrorCode::InvalidArgument, "declare_rows of '" + name + "': declared before as rows of " +
                                                  std::string(to_string(slot->dtype)) + "[" + std::to_string(slot->row_width) +
                                                  "], now as rows of " + std::string(to_string(dtype)) + "[" +
                                                  std::to_string(row_width) + "]");
    }
    if (!slot) {
      slot = std::make_shared<Table>();
      slot->dtype = dtype;
      slot->row_width = row_width;
      slot->options = options;
      slot->cursors.resize(impl.connections.size(), cursor_after_declare(impl.mode, 0));
    }
    table = slot;
  }
  auto replies = std::make_shared<std::vector<v1::DeclareReply>>(impl.connections.size());
  Phase declare_everywhere = [&impl, name, table, replies] {
    std::vector<Task> tasks;
    for (std::uint32_t s = 0; s < impl.connections.size(); ++s) {
      tasks.push_back([&impl, name, table, replies, s] {
        v1::DeclareRequest request;
        request.set_tensor(name);
        request.set_worker(impl.options.worker);
        request.set_dtype(wire::to_proto(table->dtype));
        request.set_sparse(true);
        request.set_row_width(static_cast<std::uint64_t>(table->row_width));
        request.set_row_init(table->options.init == RowOptions::Init::Uniform ? v1::DeclareRequest::UNIFORM
                                                                              : v1::DeclareRequest::ZEROS);
        request.set_init_scale(table->options.init_scale);
        request.set_shard_map_version(ShardMap::kFormatVersion);
        v1::DeclareReply& reply = (*replies)[s];
        auto& connection = impl.server(s);
        connection.call("Declare of sparse table '" + name + "'", impl.options.call_timeout,
                        [&](client::Stub& stub, grpc::ClientContext& context, std::string& incarnation) {
                          const grpc::Status status = stub.generated().Declare(&context, request, &reply);
                          incarnation = reply.incarnation();
                          return status;
                        });
        connection.remember_declare(request);
      });
    }
    return tasks;
  };
  Phase set_cursors = [&impl, table, replies] {
    std::lock_guard lock(impl.mutex);
    for (std::size_t s = 0; s < table->cursors.size(); ++s) {
      table->cursors[s] = merged(table->cursors[s], cursor_after_declare(impl.mode, (*replies)[s].version()));
    }
    return std::vector<Task>{};
  };
  return impl.jobs.submit(name, {std::move(declare_everywhere), std::move(set_cursors)});
}

std::future<void> Client::push_rows(std::string_view name, std::span<const std::int64_t> ids, Tensor rows) {
  Impl& impl = *impl_;
  auto table = impl.table(name);
  require_cpu(rows, "push_rows", name);
  const auto width = static_cast<std::uint64_t>(table->row_width);
  if (rows.dtype() != table->dtype || !holds_rows(rows, ids.size(), width)) {
    throw Error(ErrorCode::InvalidArgument, "push_rows of '" + std::string(name) + "': " + std::to_string(ids.size()) +
                                                " ids need " + std::string(to_string(table->dtype)) + "[" +
                                                std::to_string(ids.size()) + ", " + std::to_string(width) + "] rows, got " +
                                                rows.describe());
  }
  const std::size_t row_bytes = width * dtype_size(table->dtype);
  // Gathered now, so the job owns its rows (and retains them without another copy).
  auto batches = client::gather_rows(impl.shard_map, name, ids, static_cast<const std::byte*>(rows.data()), row_bytes);
  {
    std::lock_guard lock(impl.mutex);
    ++table->pending_pushes;
  }
  std::string table_name(name);
  Phase push_everywhere = [&impl, table, table_name, batches, width] {
    std::vector<Task> tasks;
    std::lock_guard lock(impl.mutex);
    --table->pending_pushes;
    const auto before = std::make_shared<const std::vector<Cursor>>(table->cursors);
    for (std::uint32_t s = 0; s < batches.size(); ++s) {
      Cursor& cursor = table->cursors[s];
      PushRecord record;
      record.tensor = table_name;
      record.worker = impl.options.worker;
      record.rows = true;
      record.step = cursor.step++;
      record.previous_sequence = cursor.previous_sequence;
      record.sequence = cursor.sequence++;
      cursor.previous_sequence = record.sequence;
      record.dtype = table->dtype;
      record.row_width = width;
      record.ids = batches[s]->ids;
      record.values = batches[s]->values;
      record.owner = batches[s];
      tasks.emplace_back([&impl, table, record, s, before] { impl.push_or_rewind(s, record, table->cursors, *before); },
                         impl.pushes_wait());
    }
    return tasks;
  };
  return impl.jobs.submit(table_name, {std::move(push_everywhere)});
}

std::future<void> Client::pull_rows(std::string_view name, std::span<const std::int64_t> ids, Tensor out) {
  Impl& impl = *impl_;
  auto table = impl.table(name);
  require_cpu(out, "pull_rows", name);
  const auto width = static_cast<std::uint64_t>(table->row_width);
  if (out.dtype() != table->dtype || !holds_rows(out, ids.size(), width)) {
    throw Error(ErrorCode::InvalidArgument, "pull_rows of '" + std::string(name) + "': " + std::to_string(ids.size()) +
                                                " ids need " + std::string(to_string(table->dtype)) + "[" +
                                                std::to_string(ids.size()) + ", " + std::to_string(width) + "] rows, got " +
                                                out.describe());
  }
  auto requests = std::make_shared<std::vector<client::RowRequest>>(client::group_rows(impl.shard_map, name, ids));
  std::string table_name(name);
  Phase pull_everywhere = [&impl, table, table_name, requests, out, width] {
    std::vector<Task> tasks;
    std::lock_guard lock(impl.mutex);
    for (std::uint32_t s = 0; s < requests->size(); ++s) {
      const std::size_t count = (*requests)[s].ids.size();
      const std::int64_t step = table->cursors[s].step;
      for (std::size_t first = 0; first < count; first += wire::kMaxPullRowIds) {
        const std::size_t last = std::min(count, first + wire::kMaxPullRowIds);
        tasks.emplace_back([&impl, table, table_name, requests, out, width, s, step, first, last] {
          const client::RowRequest& request = (*requests)[s];
          const std::size_t row_bytes = width * dtype_size(table->dtype);
          v1::PullRowsRequest call;
          call.set_tensor(table_name);
          call.set_worker(impl.options.worker);
          call.set_step(step);
          call.mutable_ids()->Assign(request.ids.begin() + static_cast<std::ptrdiff_t>(first),
                                     request.ids.begin() + static_cast<std::ptrdiff_t>(last));
          std::vector<std::byte> values((last - first) * row_bytes);
          impl.server(s).call("PullRows of '" + table_name + "' (" + std::to_string(last - first) + " rows, step " +
                                  std::to_string(step) + ")",
                              impl.pull_timeout(), [&](client::Stub& stub, grpc::ClientContext& context, std::string&) {
                                return client::pull_rows_once(stub, context, call, table->dtype, width, values);
                              });
          auto* destination = static_cast<std::byte*>(out.data());
          for (std::size_t i = first; i < last; ++i) {
            const std::byte* row = values.data() + (i - first) * row_bytes;
            for (const std::size_t position : request.positions[i]) {
              std::memcpy(destination + position * row_bytes, row, row_bytes);
            }
          }
        }, impl.pulls_wait());
      }
    }
    return tasks;
  };
  return impl.jobs.submit(table_name, {std::move(pull_everywhere)});
}

}  // namespace ronde::ps
