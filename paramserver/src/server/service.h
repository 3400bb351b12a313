// The gRPC service (proto/ronde_ps.proto) over the server's state, on gRPC's synchronous API: each
// call runs on a thread of gRPC's pool, and calls that wait for other workers block theirs (the
// pool grows as needed). Every handler checks the bearer token first, then refuses new calls
// with UNAVAILABLE once shutdown has begun, then runs one of the calls in calls.h.
#pragma once

#include "ronde_ps.grpc.pb.h"
#include "server/server_core.h"

namespace ronde::ps::server {

class Service final : public v1::ParameterServer::Service {
 public:
  explicit Service(ServerCore& core) : core_(core) {}

  grpc::Status Status(grpc::ServerContext* context, const v1::StatusRequest* request, v1::StatusReply* reply) override;
  grpc::Status Declare(grpc::ServerContext* context, const v1::DeclareRequest* request,
                       v1::DeclareReply* reply) override;
  grpc::Status Push(grpc::ServerContext* context, grpc::ServerReader<v1::PushChunk>* reader,
                    v1::PushReply* reply) override;
  grpc::Status Pull(grpc::ServerContext* context, const v1::PullRequest* request,
                    grpc::ServerWriter<v1::PullChunk>* writer) override;
  grpc::Status PushRows(grpc::ServerContext* context, grpc::ServerReader<v1::RowsChunk>* reader,
                        v1::PushReply* reply) override;
  grpc::Status PullRows(grpc::ServerContext* context, const v1::PullRowsRequest* request,
                        grpc::ServerWriter<v1::RowsChunk>* writer) override;

 private:
  ServerCore& core_;
};

}  // namespace ronde::ps::server
