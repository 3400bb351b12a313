// The gRPC service (proto/ronde_ps.proto) over the server's state, on gRPC's synchronous API: each
// call runs on a thread of gRPC's pool, and calls that wait for other workers block theirs (the
// pool grows as needed). Every handler checks the bearer token first, then refuses new calls
// with UNAVAILABLE once shutdown has begun, then runs one of the calls in calls.h.
#pragma once

#include "ronde_ps.grpc.pb.h"
#include "server/calls.h"
#include "server/server_core.h"

namespace ronde::ps::server {

// The generated service with Pull's handler replaced by one that writes pre-encoded chunk
// messages (common/frames.h), so that a pull's values are not copied once more into protobuf
// messages. gRPC's split-streaming handler reads the one request and leaves the writes to us; on
// the wire nothing changes.
class ServiceWithRawPull : public v1::ParameterServer::Service {
 public:
  ServiceWithRawPull();
  virtual grpc::Status RawPull(grpc::ServerContext* context, PullStreamer* streamer) = 0;

 private:
  // Pull's index among the service's methods: their order in proto/ronde_ps.proto.
  static constexpr int kPullMethodIndex = 3;
};

class Service final : public ServiceWithRawPull {
 public:
  explicit Service(ServerCore& core) : core_(core) {}

  grpc::Status Status(grpc::ServerContext* context, const v1::StatusRequest* request, v1::StatusReply* reply) override;
  grpc::Status Declare(grpc::ServerContext* context, const v1::DeclareRequest* request,
                       v1::DeclareReply* reply) override;
  grpc::Status Push(grpc::ServerContext* context, grpc::ServerReader<v1::PushChunk>* reader,
                    v1::PushReply* reply) override;
  grpc::Status RawPull(grpc::ServerContext* context, PullStreamer* streamer) override;
  grpc::Status PushRows(grpc::ServerContext* context, grpc::ServerReader<v1::RowsChunk>* reader,
                        v1::PushReply* reply) override;
  grpc::Status PullRows(grpc::ServerContext* context, const v1::PullRowsRequest* request,
                        grpc::ServerWriter<v1::RowsChunk>* writer) override;

 private:
  ServerCore& core_;
};

}  // namespace ronde::ps::server
