// One attempt of each wire call (proto/ronde_ps.proto), over a prepared ClientContext (deadline and
// token already set). Nothing here retries or interprets incarnations: connection.h does. Every
// function returns the call's status; a reply that breaks the protocol (wrong dtype or length,
// rows out of order, a missing header) is INTERNAL naming what was wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <grpcpp/grpcpp.h>

#include "client/push_record.h"
#include "ronde/core/dtype.h"
#include "ronde_ps.grpc.pb.h"

namespace ronde::ps::client {

// The stubs of one server's channel: the generated one for the small calls and the rows, and
// Push and Pull over pre-encoded chunk messages (common/frames.h): a pulled partition is copied
// once, from the received message into the caller's tensor, and a push is sent from a single
// copy of the caller's bytes (or in place from a record that owns them).
class Stub {
 public:
  explicit Stub(const std::shared_ptr<grpc::Channel>& channel);

  v1::ParameterServer::Stub& generated() { return *generated_; }
  std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>> push(grpc::ClientContext& context, v1::PushReply& reply);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> pull(grpc::ClientContext& context,
                                                             const v1::PullRequest& request);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ParameterServer::Stub> generated_;
  grpc::internal::RpcMethod push_method_;
  grpc::internal::RpcMethod pull_method_;
};

// Streams `record` in chunks of at most `chunk_bytes` bytes (whole elements per chunk).
// `gap_allowed`: the server takes it even if it has not taken the record's previous sequence
// (replays; server/sequence_gap.h).
grpc::Status push_once(Stub& stub, grpc::ClientContext& context, const PushRecord& record, std::size_t chunk_bytes,
                       bool gap_allowed, v1::PushReply& reply);

// Pulls one dense partition into `out` (exactly its bytes); `header` receives the reply's header.
grpc::Status pull_once(Stub& stub, grpc::ClientContext& context, const v1::PullRequest& request, DType dtype,
                       std::span<std::byte> out, v1::PullHeader& header);

// Pulls the rows of request.ids() (no duplicates) into `out`, row i at i * row_bytes, checking that
// the server returns them in the order requested.
grpc::Status pull_rows_once(Stub& stub, grpc::ClientContext& context, const v1::PullRowsRequest& request, DType dtype,
                            std::uint64_t row_width, std::span<std::byte> out);

}  // namespace ronde::ps::client
