// Pull: the values of one dense partition, as a header then data chunks of at most 4 MiB
// (kSendChunkBytes).
// Once the mode's condition holds (initial values set; sync: version >= step; bounded staleness:
// every worker pushed step - tau steps), the values are copied under the partition's lock into a
// buffer that the chunk messages then refer to in place, shared by the pulls of the same version
// in flight (sync mode: every worker pulls each step); they are streamed without the lock, and
// the buffer is freed when gRPC has sent the last message of the last pull using it.
#include <algorithm>
#include <memory>
#include <mutex>
#include <span>

#include "common/frames.h"
#include "common/wire.h"
#include "server/call_wait.h"
#include "server/calls.h"
#include "server/rejection.h"

namespace ronde::ps::server {

void pull_call(ServerCore& core, grpc::ServerContext& context, PullStreamer& streamer) {
  v1::PullRequest request;
  if (!streamer.Read(&request)) {
    if (context.IsCancelled()) reject(grpc::StatusCode::CANCELLED, "a Pull call cancelled before its request arrived");
    reject("a Pull call must carry one readable PullRequest");
  }
  const std::string who = "pull of tensor '" + request.tensor() + "' partition " + std::to_string(request.partition()) +
                          " by worker " + std::to_string(request.worker()) + " (step " + std::to_string(request.step()) +
                          ")";
  if (request.worker() >= core.options.workers) {
    reject(who + ": worker " + std::to_string(request.worker()) + " is not one of this server's " +
           std::to_string(core.options.workers) + " workers");
  }
  core.note_worker(request.worker(), context.peer(), "Pull");
  if (request.step() < 0) reject(who + ": a step cannot be negative");
  const auto partition = core.registry.dense_or_reject(request.tensor(), request.partition(), who);
  const DenseLayout& layout = partition->layout();
  const std::int64_t step = request.step();
  const auto tau = static_cast<std::int64_t>(core.options.staleness);

  const std::size_t bytes = layout.bytes();
  std::shared_ptr<const std::byte[]> values;
  std::uint64_t version = 0;
  {
    CallWait wait(context, core.stopping, core.worker_timeout());
    std::unique_lock<std::mutex> lock(partition->mutex);
    if (core.options.mode == Mode::Sync && step > static_cast<std::int64_t>(partition->version) + 1) {
      reject(who + ": wrong step: the partition is at step " + std::to_string(partition->version) +
             ", so step " + std::to_string(step) + " cannot be reached before this worker pushes more");
    }
    wait.until(
        lock, partition->changed,
        [&] {
          if (!partition->initialized) return false;
          switch (core.options.mode) {
            case Mode::Sync: return static_cast<std::int64_t>(partition->version) >= step;
            case Mode::BoundedStaleness: return partition->ledger.slowest() >= step - tau;
            case Mode::Async: return true;
          }
          return true;
        },
        [&] {
          if (!partition->initialized) return "worker 0's initial values of " + layout.name();
          if (core.options.mode == Mode::Sync) {
            return "every worker's push of step " + std::to_string(partition->version) + " of " + layout.name() + " (" +
                   std::to_string(partition->ledger.contributors()) + " of " + std::to_string(core.options.workers) +
                   " pushed; not " + partition->ledger.missing_contributors() + ")";
          }
          return "the slowest worker to push " + std::to_string(step - tau) + " steps of " + layout.name() +
                 " (it has pushed " + std::to_string(partition->ledger.slowest()) + "; behind: " +
                 partition->ledger.behind(step - tau) + ")";
        },
        [&] { return partition->initialized; });
    allocating(who + " (copying its values)", bytes, [&] { values = partition->pull_snapshot(); });
    version = partition->version;
  }

  v1::PullHeader header;
  header.set_version(version);
  header.set_dtype(wire::to_proto(layout.dtype));
  header.set_length(layout.length);
  header.set_incarnation(core.incarnation);
  if (!streamer.Write(wire::header_chunk(header))) reject(grpc::StatusCode::CANCELLED, who + ": the client went away");
  const std::span<const std::byte> all(values.get(), bytes);
  for (std::size_t offset = 0; offset < bytes; offset += kSendChunkBytes) {
    const auto chunk = all.subspan(offset, std::min(kSendChunkBytes, bytes - offset));
    if (!streamer.Write(wire::data_chunk(chunk, values))) {
      reject(grpc::StatusCode::CANCELLED, who + ": the client went away");
    }
  }
}

}  // namespace ronde::ps::server
