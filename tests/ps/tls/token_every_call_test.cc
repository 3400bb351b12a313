// The token guards every RPC, not just the ones the client happens to make first: raw gRPC calls of
// each method without a token, or with a wrong one, get UNAUTHENTICATED and change nothing, in
// plaintext (metadata checked in the handler) and under TLS (no call credentials).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include <grpcpp/grpcpp.h>

#include "ps/support/server_process.h"
#include "ps/tls/tls_fixture.h"
#include "ronde_ps.grpc.pb.h"
#include "security/credentials.h"

namespace ronde::ps::testing {
namespace {

using Stub = v1::ParameterServer::Stub;

// Every method of the service, called once with a well-formed request; returns its status.
std::map<std::string, std::function<grpc::Status(Stub&, grpc::ClientContext&)>> every_method() {
  std::map<std::string, std::function<grpc::Status(Stub&, grpc::ClientContext&)>> calls;
  calls["Status"] = [](Stub& stub, grpc::ClientContext& context) {
    v1::StatusReply reply;
    return stub.Status(&context, v1::StatusRequest(), &reply);
  };
  calls["Declare"] = [](Stub& stub, grpc::ClientContext& context) {
    v1::DeclareRequest request;
    request.set_tensor("x");
    request.set_dtype(v1::F32);
    request.add_shape(4);
    request.set_partition_count(1);
    request.set_length(4);
    request.set_shard_map_version(ShardMap::kFormatVersion);
    v1::DeclareReply reply;
    return stub.Declare(&context, request, &reply);
  };
  calls["Push"] = [](Stub& stub, grpc::ClientContext& context) {
    v1::PushReply reply;
    auto writer = stub.Push(&context, &reply);
    v1::PushChunk header;
    header.mutable_header()->set_tensor("x");
    header.mutable_header()->set_sequence(1);
    header.mutable_header()->set_dtype(v1::F32);
    header.mutable_header()->set_length(4);
    v1::PushChunk data;
    data.set_data(std::string(16, '\0'));
    if (writer->Write(header)) writer->Write(data);
    writer->WritesDone();
    return writer->Finish();
  };
  calls["Pull"] = [](Stub& stub, grpc::ClientContext& context) {
    v1::PullRequest request;
    request.set_tensor("x");
    auto reader = stub.Pull(&context, request);
    v1::PullChunk chunk;
    while (reader->Read(&chunk)) {
    }
    return reader->Finish();
  };
  calls["PushRows"] = [](Stub& stub, grpc::ClientContext& context) {
    v1::PushReply reply;
    auto writer = stub.PushRows(&context, &reply);
    v1::RowsChunk header;
    header.mutable_header()->set_tensor("table");
    header.mutable_header()->set_sequence(1);
    header.mutable_header()->set_dtype(v1::F32);
    header.mutable_header()->set_row_width(2);
    header.mutable_header()->set_rows(1);
    v1::RowsChunk data;
    data.mutable_data()->add_ids(7);
    data.mutable_data()->set_values(std::string(8, '\0'));
    if (writer->Write(header)) writer->Write(data);
    writer->WritesDone();
    return writer->Finish();
  };
  calls["PullRows"] = [](Stub& stub, grpc::ClientContext& context) {
    v1::PullRowsRequest request;
    request.set_tensor("table");
    request.add_ids(7);
    auto reader = stub.PullRows(&context, request);
    v1::RowsChunk chunk;
    while (reader->Read(&chunk)) {
    }
    return reader->Finish();
  };
  return calls;
}

class PsTokenEveryCall : public ::testing::TestWithParam<TlsMode> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(server_arguments(GetParam(), /*with_token=*/true));
    server_->start();
    TlsConfig tls = GetParam() == TlsMode::Off ? TlsConfig::off() : trusting_client();
    grpc::ChannelArguments arguments;
    // No token in the credentials: each call adds (or leaves out) its own metadata.
    auto credentials = security::channel_credentials(tls, "", arguments);
    stub_ = v1::ParameterServer::NewStub(grpc::CreateCustomChannel(server_->address(), credentials, arguments));
  }

  // A context with a deadline and, unless `presented` is empty, "authorization: Bearer <presented>".
  static std::unique_ptr<grpc::ClientContext> context(const std::string& presented) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!presented.empty()) context->AddMetadata("authorization", "Bearer " + presented);
    return context;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Stub> stub_;
};

TEST_P(PsTokenEveryCall, EveryMethodRefusesAMissingOrWrongToken) {
  for (const auto& [method, call] : every_method()) {
    for (const std::string& presented : {std::string(), wrong_token(), std::string("not-even-close")}) {
      auto ctx = context(presented);
      const grpc::Status status = call(*stub_, *ctx);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << method << " with " << (presented.empty() ? "no token" : "a wrong token") << ": "
          << status.error_code() << " " << status.error_message();
      EXPECT_EQ(status.error_message().find(token()), std::string::npos) << "the server echoed its token";
      EXPECT_EQ(status.error_message().find(wrong_token()), std::string::npos) << "the server echoed the token";
    }
  }
  // Nothing was created by the refused calls, and the right token is served.
  auto ctx = context(token());
  v1::StatusReply reply;
  const grpc::Status status = stub_->Status(ctx.get(), v1::StatusRequest(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\nserver log:\n" << server_->log_tail();
  EXPECT_EQ(reply.partitions(), 0u);
  EXPECT_EQ(reply.tables(), 0u);
  EXPECT_TRUE(server_->running());
}

INSTANTIATE_TEST_SUITE_P(Modes, PsTokenEveryCall, ::testing::Values(TlsMode::Off, TlsMode::Server),
                         [](const ::testing::TestParamInfo<TlsMode>& mode) { return std::string(to_string(mode.param)); });

}  // namespace
}  // namespace ronde::ps::testing
