#include "engine/executor.h"

#include <cstring>
#include <functional>
#include <numeric>

#include "engine/fusion_device.h"
#include "engine/fusion_plan.h"
#include "engine/timeline.h"

namespace ronde::engine {

namespace {

std::int64_t numel(const std::vector<std::int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

const char* phase_name(OpKind kind) {
  switch (kind) {
    case OpKind::Allreduce: return "ALLREDUCE";
    case OpKind::Allgather: return "ALLGATHER";
    case OpKind::Broadcast: return "BROADCAST";
    case OpKind::Reducescatter: return "REDUCESCATTER";
    case OpKind::Alltoall: return "ALLTOALL";
  }
  return "COLLECTIVE";
}

// Errors every rank saw together (the collectives' agreement check): no need to report them.
bool seen_by_every_rank(const Error& error) {
  return error.code() == ErrorCode::Mismatch || error.code() == ErrorCode::InvalidArgument;
}

}  // namespace

Executor::Executor(Context& context, const EngineOptions& options, Timeline* timeline, Counters& counters)
    : context_(context),
      timeline_(timeline),
      counters_(counters),
      fusion_limits_{options.fusion_threshold, options.fusion_host_tensor_limit},
      collectives_(context, options.collectives),
      fusion_(options.collectives.cuda_stream),
      cuda_stream_(options.collectives.cuda_stream) {}

std::optional<std::string> Executor::take_failure() {
  std::optional<std::string> failure = std::move(failure_);
  failure_.reset();
  return failure;
}

void Executor::phase_begin(const std::vector<Operation*>& operations, const char* phase, const std::string& detail) {
  if (!timeline_) return;
  for (Operation* operation : operations) {
    if (operation) timeline_->begin(operation->request.name, phase, detail);
  }
}

void Executor::phase_end(const std::vector<Operation*>& operations, const char* phase) {
  if (!timeline_) return;
  for (Operation* operation : operations) {
    if (operation) timeline_->end(operation->request.name, phase);
  }
}

void Executor::run(const std::vector<Request>& runs, std::vector<OperationPtr>& local, const Finish& finish) {
  std::vector<const Request*> requests;
  for (const Request& request : runs) requests.push_back(&request);
  phase_begin([&] {
    std::vector<Operation*> all;
    for (auto& operation : local) all.push_back(operation.get());
    return all;
  }(), "QUEUE");
  for (const Batch& batch : plan_batches(requests, fusion_limits_)) {
    std::vector<const Request*> members;
    std::vector<Operation*> operations;
    for (std::size_t index : batch.members) {
      members.push_back(requests[index]);
      operations.push_back(local[index].get());
    }
    phase_end(operations, "QUEUE");
    std::optional<Error> error;
    std::vector<std::int64_t> rows;
    try {
      const bool compressed = wire_dtype(*members[0]) != members[0]->dtype;
      if (members.size() == 1 && !compressed) {
        run_alone(*members[0], operations[0], rows);
      } else {
        run_fused(members, operations);
      }
      counters_.collectives += 1;
      if (members.size() > 1) counters_.fused_tensors += members.size();
    } catch (const Error& e) {
      error = e;
    } catch (const std::exception& e) {
      error = Error(ErrorCode::Internal, e.what());
    }
    if (error && !seen_by_every_rank(*error)) {
      failure_ = (failure_ ? *failure_ + "; " : std::string()) + "tensor '" + members[0]->name + "': " + error->what();
    }
    for (std::size_t index : batch.members) {
      if (!local[index]) continue;
      std::optional<Error> outcome = error;
      if (error && members.size() > 1) {
        outcome = Error(error->code(), "fused allreduce of " + std::to_string(members.size()) + " tensors including '" +
                                           local[index]->request.name + "': " + error->message());
      }
      finish(std::move(local[index]), std::move(outcome), rows);
    }
  }
}

void Executor::run_alone(const Request& request, Operation* operation, std::vector<std::int64_t>& rows) {
  const std::vector<Operation*> operations{operation};
  const char* phase = phase_name(request.kind);
  phase_begin(operations, phase);
  if (!operation) {
    // A joined rank: zeros for an allreduce, scratch to receive a broadcast into.
    const std::size_t bytes = static_cast<std::size_t>(numel(request.shape)) * dtype_size(request.dtype);
    scratch_.assign(bytes, std::byte{0});
    const Tensor scratch(bytes ? scratch_.data() : nullptr, request.dtype, request.shape);
    if (request.kind == OpKind::Allreduce) {
      collectives_.allreduce(scratch, request.op, {request.prescale, request.postscale});
    } else if (request.kind == OpKind::Broadcast) {
      collectives_.broadcast(scratch, request.root);
    } else {
      throw Error(ErrorCode::Internal, "engine: tensor '" + request.name + "': a joined rank cannot take part in " +
                                           std::string(to_string(request.kind)));
    }
    return;
  }
  const Operation& op = *operation;
  switch (request.kind) {
    case OpKind::Allreduce:
      collectives_.allreduce(op.input, op.output, request.op, {request.prescale, request.postscale});
      break;
    case OpKind::Broadcast:
      collectives_.broadcast(op.input, request.root);
      break;
    case OpKind::Allgather:
      rows = collectives_.allgather(op.input, op.allocate);
      break;
    case OpKind::Reducescatter:
      collectives_.reducescatter(op.input, op.output, request.op, op.request.splits);
      break;
    case OpKind::Alltoall:
      rows = collectives_.alltoall(op.input, op.splits, op.allocate);
      break;
  }
#ifdef RONDE_HAVE_CUDA
  // CUDA collectives are queued on the caller's stream: the handle completes once they are done.
  if (op.input.device().is_cuda()) device_wait(op.input.device().index, cuda_stream_);
#endif
  phase_end(operations, phase);
}

void Executor::run_fused(const std::vector<const Request*>& requests, const std::vector<Operation*>& operations) {
  const Request& first = *requests[0];
  std::vector<FusedEntry> entries;
  Device device = Device::cpu();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    FusedEntry entry;
    entry.count = static_cast<std::size_t>(numel(requests[i]->shape));
    if (operations[i]) {
      entry.input = operations[i]->input.data();
      entry.output = operations[i]->output.data();
      device = operations[i]->input.device();
    }
    entries.push_back(entry);
  }
  const std::string detail = std::to_string(requests.size()) + " tensors";
  phase_begin(operations, "MEMCPY_IN_FUSION_BUFFER", detail);
  const Tensor packed = fusion_.pack(entries, first.dtype, wire_dtype(first), device);
  phase_end(operations, "MEMCPY_IN_FUSION_BUFFER");
  phase_begin(operations, "ALLREDUCE", detail);
  collectives_.allreduce(packed, first.op, {first.prescale, first.postscale});
  phase_end(operations, "ALLREDUCE");
  phase_begin(operations, "MEMCPY_OUT_FUSION_BUFFER", detail);
  fusion_.unpack(entries, first.dtype, packed);
  phase_end(operations, "MEMCPY_OUT_FUSION_BUFFER");
}

}  // namespace ronde::engine
