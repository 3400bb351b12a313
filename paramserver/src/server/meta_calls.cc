// Status and Declare.
#include <mutex>

#include "common/wire.h"
#include "ronde/core/version.h"
#include "server/calls.h"

namespace ronde::ps::server {

void status_call(ServerCore& core, v1::StatusReply& reply) {
  const ServerOptions& options = core.options;
  reply.set_shard(options.shard);
  reply.set_shard_count(options.shards);
  reply.set_workers(options.workers);
  reply.set_mode(wire::to_proto(options.mode));
  reply.set_staleness(options.staleness);
  reply.set_optimizer(options.optimizer);
  reply.set_incarnation(core.incarnation);
  reply.set_checkpointing(core.checkpointing);
  reply.set_partitions(core.registry.partition_count());
  reply.set_tables(core.registry.table_count());
  reply.set_server_version(version());
}

void declare_call(ServerCore& core, grpc::ServerContext& context, const v1::DeclareRequest& request,
                  v1::DeclareReply& reply) {
  if (request.worker() < core.options.workers) core.note_worker(request.worker(), context.peer(), "Declare");
  reply.set_incarnation(core.incarnation);
  if (request.sparse()) {
    auto declared = core.registry.declare_table(request);
    if (declared.created) {
      core.changes.fetch_add(1);
      core.log.info("declared table '", request.tensor(), "': ", declared.unit->layout().describe(), " (worker ",
                    request.worker(), ")");
    }
    std::lock_guard<std::mutex> lock(declared.unit->mutex);
    reply.set_version(declared.unit->version);
    reply.set_initialized(true);  // rows start from their init rule: nothing to wait for
    return;
  }
  auto declared = core.registry.declare_dense(request);
  if (declared.created) {
    core.changes.fetch_add(1);
    core.log.info("declared tensor '", request.tensor(), "' ", declared.unit->layout().describe(), " (worker ",
                  request.worker(), ")");
  }
  std::lock_guard<std::mutex> lock(declared.unit->mutex);
  reply.set_version(declared.unit->version);
  reply.set_initialized(declared.unit->initialized);
}

}  // namespace ronde::ps::server
