#include "server/service.h"

#include <new>

#include "server/calls.h"
#include "server/rejection.h"

namespace ronde::ps::server {
namespace {

grpc::StatusCode code_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::Mismatch: return grpc::StatusCode::INVALID_ARGUMENT;
    case ErrorCode::NotFound: return grpc::StatusCode::NOT_FOUND;
    case ErrorCode::Unavailable: return grpc::StatusCode::UNAVAILABLE;
    case ErrorCode::Timeout: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case ErrorCode::Cancelled: return grpc::StatusCode::CANCELLED;
    case ErrorCode::ResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    default: return grpc::StatusCode::INTERNAL;
  }
}

// Token, shutdown, then the call; every exception becomes a status whose message ends naming this
// server (and a log line when it says something about the client or the server rather than about
// timing).
template <class Call>
grpc::Status guarded(ServerCore& core, grpc::ServerContext& context, const char* name, Call&& call) {
  if (grpc::Status denied = core.tokens.check(context); !denied.ok()) {
    core.log.warn(name, " from ", context.peer(), " refused: ", denied.error_message());  // a security event
    return denied;
  }
  struct InFlight {
    explicit InFlight(std::atomic<int>& count) : count_(count) { count_.fetch_add(1); }
    ~InFlight() { count_.fetch_sub(1); }
    std::atomic<int>& count_;
  } in_flight(core.in_flight);
  if (core.stopping.load()) {
    return {grpc::StatusCode::UNAVAILABLE, "parameter server shard " + std::to_string(core.options.shard) +
                                               " is shutting down"};
  }
  grpc::Status status;
  try {
    call();
  } catch (const Rejection& rejection) {
    status = rejection.status();
  } catch (const Error& error) {
    status = {code_of(error.code()), error.message()};
  } catch (const std::bad_alloc&) {
    status = {grpc::StatusCode::RESOURCE_EXHAUSTED, std::string(name) + ": the server is out of memory"};
  } catch (const std::exception& error) {
    status = {grpc::StatusCode::INTERNAL, std::string(name) + ": " + error.what()};
  }
  if (!status.ok()) {
    status = {status.error_code(), status.error_message() + " [parameter server shard " +
                                       std::to_string(core.options.shard) + " of " +
                                       std::to_string(core.options.shards) + "]"};
  }
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::ABORTED:  // a sequence gap, logged where it is found (sequence_gap.h)
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED: break;
    default: core.log.warn(name, " from ", context.peer(), " refused: ", status.error_message());
  }
  return status;
}

}  // namespace

ServiceWithRawPull::ServiceWithRawPull() {
  MarkMethodStreamed(kPullMethodIndex,
                     new grpc::internal::SplitServerStreamingHandler<v1::PullRequest, grpc::ByteBuffer>(
                         [this](grpc::ServerContext* context, PullStreamer* streamer) { return RawPull(context, streamer); }));
}

grpc::Status Service::Status(grpc::ServerContext* context, const v1::StatusRequest*, v1::StatusReply* reply) {
  return guarded(core_, *context, "Status", [&] { status_call(core_, *reply); });
}

grpc::Status Service::Declare(grpc::ServerContext* context, const v1::DeclareRequest* request,
                              v1::DeclareReply* reply) {
  return guarded(core_, *context, "Declare", [&] { declare_call(core_, *context, *request, *reply); });
}

grpc::Status Service::Push(grpc::ServerContext* context, grpc::ServerReader<v1::PushChunk>* reader,
                           v1::PushReply* reply) {
  return guarded(core_, *context, "Push", [&] { push_call(core_, *context, *reader, *reply); });
}

grpc::Status Service::RawPull(grpc::ServerContext* context, PullStreamer* streamer) {
  return guarded(core_, *context, "Pull", [&] { pull_call(core_, *context, *streamer); });
}

grpc::Status Service::PushRows(grpc::ServerContext* context, grpc::ServerReader<v1::RowsChunk>* reader,
                               v1::PushReply* reply) {
  return guarded(core_, *context, "PushRows", [&] { push_rows_call(core_, *context, *reader, *reply); });
}

grpc::Status Service::PullRows(grpc::ServerContext* context, const v1::PullRowsRequest* request,
                               grpc::ServerWriter<v1::RowsChunk>* writer) {
  return guarded(core_, *context, "PullRows", [&] { pull_rows_call(core_, *context, *request, *writer); });
}

}  // namespace ronde::ps::server
