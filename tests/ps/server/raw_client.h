// Raw gRPC calls to a ronde-ps-server for the server's own tests: the generated stub with
// deadlines on every call, and helpers that build well-formed requests (tests then break them on
// purpose). No ronde::ps::Client here: these tests pin the wire behaviour the client relies on.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "ronde_ps.grpc.pb.h"

namespace ronde::ps::testing {

struct PushResult {
  grpc::Status status;
  v1::PushReply reply;
};

struct PullResult {
  grpc::Status status;
  v1::PullHeader header;
  std::vector<float> values;  // the data as f32
  std::string bytes;          // the data as sent
};

struct RowsResult {
  grpc::Status status;
  std::vector<std::int64_t> ids;
  std::vector<float> values;
};

class RawClient {
 public:
  // Plaintext channel to `address`; `token` (when not empty) goes with every call as metadata.
  explicit RawClient(const std::string& address, std::string token = {});

  v1::ParameterServer::Stub& stub() { return *stub_; }
  // A context with the token and a deadline `timeout` from now.
  std::unique_ptr<grpc::ClientContext> context(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  grpc::Status status(v1::StatusReply& reply);
  grpc::Status declare(const v1::DeclareRequest& request, v1::DeclareReply& reply);
  grpc::Status declare(const v1::DeclareRequest& request) {
    v1::DeclareReply ignored;
    return declare(request, ignored);
  }

  // Streams `header`, then `data` split into `chunk_bytes` chunks.
  PushResult push_raw(const v1::PushHeader& header, const std::string& data, std::size_t chunk_bytes = 1 << 20,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // An f32 gradient (or initial values) of `values`.
  PushResult push(const std::string& tensor, std::uint32_t partition, std::uint32_t worker, std::int64_t step,
                  std::uint64_t sequence, const std::vector<float>& values, v1::PushKind kind = v1::GRADIENT,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  PullResult pull(const std::string& tensor, std::uint32_t partition, std::uint32_t worker, std::int64_t step,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // `previous_sequence`: the header's field of that name (0: none, as for a first push).
  PushResult push_rows(const std::string& table, std::uint32_t worker, std::int64_t step, std::uint64_t sequence,
                       const std::vector<std::int64_t>& ids, const std::vector<float>& rows, std::uint64_t width,
                       std::uint64_t previous_sequence = 0);
  RowsResult pull_rows(const std::string& table, std::uint32_t worker, std::int64_t step,
                       const std::vector<std::int64_t>& ids,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ParameterServer::Stub> stub_;
};

// A well-formed Declare of a whole f32 tensor as one partition (tests edit it to break it).
v1::DeclareRequest dense_declare(const std::string& tensor, std::vector<std::int64_t> shape, std::uint32_t worker = 0);
// A Declare of partition `index` of `count` equal-ish partitions (ShardMap's rule) of an f32 tensor.
v1::DeclareRequest partition_declare(const std::string& tensor, std::int64_t elements, std::uint32_t index,
                                     std::uint32_t count, std::uint32_t worker = 0);
v1::DeclareRequest table_declare(const std::string& table, std::uint64_t width, std::uint32_t worker = 0);

std::string bytes_of(const std::vector<float>& values);

}  // namespace ronde::ps::testing
