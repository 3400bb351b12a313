// ronde::ps::Client's dense tensors: declare, push, pull and push_pull (client_impl.h has the
// steps and sequences they carry).
#include <cstring>
#include <optional>
#include <string>

#include "client/calls.h"
#include "client/client_impl.h"
#include "client/push_record.h"
#include "common/wire.h"
#include "ronde/core/error.h"

namespace ronde::ps {

using client::bytes_of;
using client::Cursor;
using client::cursor_after_declare;
using client::DenseTensor;
using client::merged;
using client::Phase;
using client::PushRecord;
using client::require_cpu;
using client::Task;

// ---- dense phases ------------------------------------------------------------------------------

Phase Client::Impl::declare_phase(std::shared_ptr<DenseTensor> tensor, Replies replies) {
  return [this, tensor, replies] {
    std::vector<Task> tasks;
    for (const Partition& partition : tensor->placement.partitions) {
      tasks.push_back([this, tensor, replies, partition] {
        const auto& placement = tensor->placement;
        v1::DeclareRequest request;
        request.set_tensor(placement.name);
        request.set_worker(options.worker);
        request.set_dtype(wire::to_proto(placement.dtype));
        request.set_sparse(false);
        for (const auto dim : placement.shape) request.add_shape(dim);
        request.set_partition(partition.index);
        request.set_partition_count(static_cast<std::uint32_t>(placement.partitions.size()));
        request.set_offset(partition.offset);
        request.set_length(partition.length);
        request.set_shard_map_version(ShardMap::kFormatVersion);
        auto& connection = server(partition.server);
        v1::DeclareReply& reply = (*replies)[partition.index];
        connection.call("Declare of '" + placement.name + "' partition " + std::to_string(partition.index),
                        options.call_timeout,
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
}

Phase Client::Impl::initial_phase(std::shared_ptr<DenseTensor> tensor, Replies replies, Tensor initial) {
  return [this, tensor, replies, initial] {
    std::vector<Task> tasks;
    if (options.worker != 0) return tasks;  // worker 0's values win; the others wait for them
    for (const Partition& partition : tensor->placement.partitions) {
      if ((*replies)[partition.index].initialized()) continue;  // restored state, or set before
      tasks.push_back([this, tensor, partition, initial] {
        const std::size_t element = dtype_size(tensor->placement.dtype);
        PushRecord record;
        record.tensor = tensor->placement.name;
        record.worker = options.worker;
        record.partition = partition.index;
        record.kind = v1::INITIAL;
        record.sequence = 0;
        record.dtype = tensor->placement.dtype;
        record.length = partition.length;
        record.values = bytes_of(initial).subspan(partition.offset * element, partition.length * element);
        server(partition.server).push(record, options.call_timeout);
      });
    }
    return tasks;
  };
}

Phase Client::Impl::push_phase(std::shared_ptr<DenseTensor> tensor, Tensor gradient, std::optional<Tensor> out) {
  return [this, tensor, gradient, out] {
    std::vector<Task> tasks;
    const auto& placement = tensor->placement;
    const std::size_t element = dtype_size(placement.dtype);
    std::lock_guard lock(mutex);
    --tensor->pending_pushes;
    const auto before = std::make_shared<const std::vector<Cursor>>(tensor->cursors);
    for (const Partition& partition : placement.partitions) {
      Cursor& cursor = tensor->cursors[partition.index];
      PushRecord record;
      record.tensor = placement.name;
      record.worker = options.worker;
      record.partition = partition.index;
      record.kind = v1::GRADIENT;
      record.step = cursor.step++;
      record.previous_sequence = cursor.previous_sequence;
      record.sequence = cursor.sequence++;
      cursor.previous_sequence = record.sequence;
      record.dtype = placement.dtype;
      record.length = partition.length;
      record.values = bytes_of(gradient).subspan(partition.offset * element, partition.length * element);
      tasks.emplace_back(
          [this, tensor, record, partition, out, before] {
            push_or_rewind(partition.server, record, tensor->cursors, *before);
            if (out) pull_partition(*tensor, partition, record.step + 1, *out, pull_timeout());
          },
          pushes_wait() || (out && pulls_wait()));
    }
    return tasks;
  };
}

void Client::Impl::push_or_rewind(std::uint32_t index, const PushRecord& record, std::vector<Cursor>& cursors,
                                  const std::vector<Cursor>& before) {
  try {
    server(index).push(record, push_timeout());
  } catch (...) {
    std::lock_guard lock(mutex);
    cursors = before;
    throw;
  }
}

void Client::Impl::pull_partition(const DenseTensor& tensor, const Partition& partition, std::int64_t step, Tensor out,
                                  std::chrono::milliseconds timeout) {
  const auto& placement = tensor.placement;
  const std::size_t element = dtype_size(placement.dtype);
  v1::PullRequest request;
  request.set_tensor(placement.name);
  request.set_partition(partition.index);
  request.set_worker(options.worker);
  request.set_step(step);
  auto* base = static_cast<std::byte*>(out.data()) + partition.offset * element;
  const std::span<std::byte> destination(base, partition.length * element);
  server(partition.server)
      .call("Pull of '" + placement.name + "' partition " + std::to_string(partition.index) + " (step " +
                std::to_string(step) + ")",
            timeout, [&](client::Stub& stub, grpc::ClientContext& context, std::string& incarnation) {
              v1::PullHeader header;
              const grpc::Status status = client::pull_once(stub, context, request, placement.dtype, destination, header);
              incarnation = header.incarnation();
              return status;
            });
}

Phase Client::Impl::pull_phase(std::shared_ptr<DenseTensor> tensor, Tensor out, std::chrono::milliseconds timeout,
                               bool waits) {
  return [this, tensor, out, timeout, waits] {
    std::vector<Task> tasks;
    std::lock_guard lock(mutex);
    for (const Partition& partition : tensor->placement.partitions) {
      const std::int64_t step = tensor->cursors[partition.index].step;
      tasks.emplace_back([this, tensor, partition, step, out, timeout] { pull_partition(*tensor, partition, step, out, timeout); },
                         waits);
    }
    return tasks;
  };
}

// ---- dense operations --------------------------------------------------------------------------

std::future<void> Client::declare(std::string name, Tensor initial) {
  Impl& impl = *impl_;
  require_cpu(initial, "declare", name);
  TensorPlacement placement = impl.shard_map.place(name, initial.dtype(), initial.shape());
  std::shared_ptr<DenseTensor> tensor;
  {
    std::lock_guard lock(impl.mutex);
    if (impl.tables.contains(name)) {
      throw Error(ErrorCode::InvalidArgument, "declare of '" + name + "': the name is already a sparse table");
    }
    auto& slot = impl.tensors[name];
    if (slot) {
      impl.check_matches(*slot, initial, "declare");
    } else {
      slot = std::make_shared<DenseTensor>();
      slot->placement = std::move(placement);
      slot->cursors.resize(slot->placement.partitions.size(), cursor_after_declare(impl.mode, 0));
    }
    tensor = slot;
  }
  auto replies = std::make_shared<std::vector<v1::DeclareReply>>(tensor->placement.partitions.size());
  Phase set_cursors_and_pull = [&impl, tensor, replies, initial] {
    {
      std::lock_guard lock(impl.mutex);
      for (const Partition& partition : tensor->placement.partitions) {
        Cursor& cursor = tensor->cursors[partition.index];
        cursor = merged(cursor, cursor_after_declare(impl.mode, (*replies)[partition.index].version()));
      }
    }
    // Waits until worker 0's values are set, whatever the mode.
    return impl.pull_phase(tensor, initial, impl.options.wait_timeout, true)();
  };
  return impl.jobs.submit(name, {impl.declare_phase(tensor, replies), impl.initial_phase(tensor, replies, initial),
                                 std::move(set_cursors_and_pull)});
}

std::future<void> Client::push(std::string_view name, Tensor gradient) {
  Impl& impl = *impl_;
  auto tensor = impl.dense(name);
  impl.check_matches(*tensor, gradient, "push");
  {
    std::lock_guard lock(impl.mutex);
    ++tensor->pending_pushes;
  }
  return impl.jobs.submit(std::string(name), {impl.push_phase(tensor, gradient)});
}

std::future<void> Client::pull(std::string_view name, Tensor out) {
  Impl& impl = *impl_;
  auto tensor = impl.dense(name);
  impl.check_matches(*tensor, out, "pull");
  return impl.jobs.submit(std::string(name), {impl.pull_phase(tensor, out, impl.pull_timeout(), impl.pulls_wait())});
}

std::future<void> Client::push_pull(std::string_view name, Tensor gradient, Tensor out) {
  Impl& impl = *impl_;
  auto tensor = impl.dense(name);
  impl.check_matches(*tensor, gradient, "push_pull");
  impl.check_matches(*tensor, out, "push_pull");
  const auto* g = static_cast<const std::byte*>(gradient.data());
  const auto* o = static_cast<const std::byte*>(out.data());
  if (gradient.nbytes() > 0 && g < o + out.nbytes() && o < g + gradient.nbytes()) {
    throw Error(ErrorCode::InvalidArgument, "push_pull of '" + std::string(name) + "': the gradient and the output overlap");
  }
  {
    std::lock_guard lock(impl.mutex);
    ++tensor->pending_pushes;
  }
  return impl.jobs.submit(std::string(name),
                          {impl.push_phase(tensor, gradient, out)});
}

}  // namespace ronde::ps
