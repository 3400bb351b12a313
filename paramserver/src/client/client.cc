// ronde::ps::Client: the worker's side of the parameter server (include/ronde/ps/client.h).
//
// Every public call checks its arguments on the caller's thread, then submits a job (job_queue.h)
// to the tensor's lane, so a tensor's operations run in the order they were called and each job
// sees the steps the previous ones left. A job's phases fan out one task per partition (dense) or
// per server (rows); each task is one call through that server's Connection (connection.h), which
// retries, deduplicates and replays. push_pull is one phase: each partition's task pushes, then
// pulls that partition for the next step, so pulls overlap the other partitions' pushes. Tasks
// that may wait for other workers run on waiting threads (thread_pool.h).
#include "ronde/ps/client.h"

#include <algorithm>
#include <string>
#include <utility>

#include "client/client_impl.h"
#include "client/options.h"
#include "common/wire.h"
#include "ronde/core/error.h"

namespace ronde::ps::client {

Cursor cursor_after_declare(Mode mode, std::uint64_t version) {
  Cursor cursor;
  cursor.step = mode == Mode::Sync ? static_cast<std::int64_t>(version) : 0;
  cursor.sequence = version + 1;
  return cursor;
}

Cursor merged(const Cursor& existing, const Cursor& declared) {
  // previous_sequence starts afresh: the declare passed the gate (and any replay), and the server
  // it reached may hold none of this worker's pushes (a restart without checkpoints).
  return {std::max(existing.step, declared.step), std::max(existing.sequence, declared.sequence), 0};
}

std::span<const std::byte> bytes_of(const Tensor& tensor) {
  return {static_cast<const std::byte*>(tensor.data()), tensor.nbytes()};
}

void require_cpu(const Tensor& tensor, std::string_view what, std::string_view name) {
  if (!tensor.device().is_cpu()) {
    throw Error(ErrorCode::InvalidArgument, std::string(what) + " of '" + std::string(name) + "': " + tensor.describe() +
                                                " is not in host memory (the parameter-server client moves CPU tensors)");
  }
}

}  // namespace ronde::ps::client

namespace ronde::ps {

using client::Cursor;
using client::DenseTensor;
using client::require_cpu;
using client::Table;

// ---- connecting --------------------------------------------------------------------------------

void Client::Impl::connect() {
  for (std::uint32_t i = 0; i < options.servers.size(); ++i) {
    connections.push_back(std::make_unique<client::Connection>(i, options, log));
  }
  std::string first_address;
  for (auto& connection : connections) {
    const v1::StatusReply status = connection->connect();
    const Mode server_mode = wire::from_proto(status.mode());
    if (first_address.empty()) {
      mode = server_mode;
      first_address = connection->address();
    } else if (server_mode != mode) {
      throw Error(ErrorCode::InvalidArgument, "parameter server " + connection->address() + " runs in " +
                                                  std::string(to_string(server_mode)) + " mode, but " + first_address +
                                                  " runs in " + std::string(to_string(mode)) + " mode");
    }
  }
}

Client::Client(ClientOptions options) {
  client::validate(options);
  impl_ = std::make_unique<Impl>(std::move(options));
  impl_->connect();
}

Client::~Client() = default;

// ---- lookups and checks ------------------------------------------------------------------------

std::shared_ptr<DenseTensor> Client::Impl::dense(std::string_view name) const {
  std::lock_guard lock(mutex);
  const auto found = tensors.find(name);
  if (found == tensors.end()) {
    throw Error(ErrorCode::NotFound, "tensor '" + std::string(name) + "' was not declared on this parameter-server client" +
                                         (tables.contains(name) ? " (it is a sparse table: use push_rows/pull_rows)" : ""));
  }
  return found->second;
}

std::shared_ptr<Table> Client::Impl::table(std::string_view name) const {
  std::lock_guard lock(mutex);
  const auto found = tables.find(name);
  if (found == tables.end()) {
    throw Error(ErrorCode::NotFound, "sparse table '" + std::string(name) + "' was not declared on this parameter-server client" +
                                         (tensors.contains(name) ? " (it is a dense tensor)" : ""));
  }
  return found->second;
}

void Client::Impl::check_matches(const DenseTensor& tensor, const Tensor& given, std::string_view what) const {
  require_cpu(given, what, tensor.placement.name);
  if (given.dtype() != tensor.placement.dtype || given.shape() != tensor.placement.shape) {
    throw Error(ErrorCode::InvalidArgument,
                std::string(what) + " of '" + tensor.placement.name + "': the tensor is " +
                    std::string(to_string(given.dtype())) + shape_to_string(given.shape()) + ", but it was declared " +
                    std::string(to_string(tensor.placement.dtype)) + shape_to_string(tensor.placement.shape));
  }
}

// ---- accessors ---------------------------------------------------------------------------------

std::int64_t Client::step(std::string_view name) const {
  const Impl& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  auto largest = [](const std::vector<Cursor>& cursors) {
    std::int64_t step = 0;
    for (const auto& cursor : cursors) step = std::max(step, cursor.step);
    return step;
  };
  if (const auto found = impl.tensors.find(name); found != impl.tensors.end()) {
    return largest(found->second->cursors) + found->second->pending_pushes;
  }
  if (const auto found = impl.tables.find(name); found != impl.tables.end()) {
    return largest(found->second->cursors) + found->second->pending_pushes;
  }
  throw Error(ErrorCode::NotFound, "'" + std::string(name) + "' was not declared on this parameter-server client");
}

Mode Client::mode() const { return impl_->mode; }
const ShardMap& Client::shard_map() const { return impl_->shard_map; }
const ClientOptions& Client::options() const { return impl_->options; }

}  // namespace ronde::ps
