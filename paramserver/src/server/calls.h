// The calls behind the service's handlers. Each validates its request completely before it
// changes anything and reports a refusal by throwing Rejection (rejection.h); the handler wrapper
// (service.cc) has already checked the token and the shutdown flag.
#pragma once

#include <grpcpp/grpcpp.h>

#include "common/wire.h"
#include "ronde_ps.grpc.pb.h"
#include "server/server_core.h"

namespace ronde::ps::server {

// Largest data chunk the server sends (pulls): the largest allowed, so that a default-sized
// partition travels in one message (fewer messages, fewer copies); clients choose their own for
// pushes.
inline constexpr std::size_t kSendChunkBytes = wire::kMaxChunkBytes;

// A Pull call: one PullRequest read, then chunk messages written as byte buffers (common/frames.h).
using PullStreamer = grpc::ServerSplitStreamer<v1::PullRequest, grpc::ByteBuffer>;

void status_call(ServerCore& core, v1::StatusReply& reply);
void declare_call(ServerCore& core, grpc::ServerContext& context, const v1::DeclareRequest& request,
                  v1::DeclareReply& reply);
void push_call(ServerCore& core, grpc::ServerContext& context, grpc::ServerReader<v1::PushChunk>& reader,
               v1::PushReply& reply);
void pull_call(ServerCore& core, grpc::ServerContext& context, PullStreamer& streamer);
void push_rows_call(ServerCore& core, grpc::ServerContext& context, grpc::ServerReader<v1::RowsChunk>& reader,
                    v1::PushReply& reply);
void pull_rows_call(ServerCore& core, grpc::ServerContext& context, const v1::PullRowsRequest& request,
                    grpc::ServerWriter<v1::RowsChunk>& writer);

}  // namespace ronde::ps::server
