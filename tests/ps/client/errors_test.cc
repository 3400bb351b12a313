// Errors the client reports: an unreachable server (Unavailable naming it, within the retry
// budget), a server that goes away mid-training, a declaration that contradicts an earlier one
// (InvalidArgument naming both shapes), a server list or worker count that disagrees with the
// servers, and local misuse.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>

#include "client_fixture.h"
#include "ronde/core/error.h"

namespace ronde::ps::testing {
namespace {

template <class Body>
Error expect_error(Body&& body) {
  try {
    body();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "no ronde::Error was thrown";
  return Error(ErrorCode::Internal, "none");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ClientErrors, UnreachableServerIsUnavailableNamingIt) {
  ClientOptions options = client_options({"127.0.0.1:1"}, 0, 1);  // nothing listens on port 1
  options.retry_budget = std::chrono::milliseconds(400);
  const Error error = expect_error([&] { Client client(options); });
  EXPECT_EQ(error.code(), ErrorCode::Unavailable) << error.message();
  EXPECT_TRUE(contains(error.message(), "127.0.0.1:1")) << error.message();
}

TEST(ClientErrors, ServerGoneMidTrainingFailsTheCallNamingIt) {
  ServerGroup servers(1, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  ClientOptions options = client_options(servers.addresses(), 0, 1);
  options.retry_budget = std::chrono::milliseconds(500);
  Client client(options);
  std::vector<float> values = {1, 2, 3};
  client.declare("w", Tensor::of(values)).get();
  const std::string address = servers[0].address();
  servers[0].stop(SIGKILL);
  const Error error = expect_error([&] { client.push("w", Tensor::of(values)).get(); });
  EXPECT_EQ(error.code(), ErrorCode::Unavailable);
  EXPECT_TRUE(contains(error.message(), address)) << error.message();
  EXPECT_TRUE(contains(error.message(), "'w'")) << error.message();
}

TEST(ClientErrors, DeclareMismatchNamesBothShapes) {
  ServerGroup servers(1, {"--workers", "2", "--mode", "async", "--optimizer", "sum"});
  Client first(client_options(servers.addresses(), 0, 2));
  std::vector<float> six(6, 1.0f);
  first.declare("w", Tensor(six.data(), DType::F32, {2, 3})).get();

  Client second(client_options(servers.addresses(), 1, 2));
  std::vector<float> four(4, 1.0f);
  const Error shape = expect_error([&] { second.declare("w", Tensor(four.data(), DType::F32, {4})).get(); });
  EXPECT_EQ(shape.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(shape.message(), "'w'")) << shape.message();
  EXPECT_TRUE(contains(shape.message(), "2, 3") || contains(shape.message(), "2,3")) << shape.message();
  EXPECT_TRUE(contains(shape.message(), "[4]")) << shape.message();

  std::vector<double> six_doubles(6, 1.0);
  Client third(client_options(servers.addresses(), 1, 2));
  const Error dtype = expect_error([&] { third.declare("w", Tensor(six_doubles.data(), DType::F64, {2, 3})).get(); });
  EXPECT_EQ(dtype.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(dtype.message(), "f64") && contains(dtype.message(), "f32")) << dtype.message();

  // The same client declaring again with another shape is refused before anything is sent.
  const Error local = expect_error([&] { first.declare("w", Tensor(four.data(), DType::F32, {4})); });
  EXPECT_EQ(local.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(local.message(), "[2,3]") && contains(local.message(), "[4]")) << local.message();
  // The server kept serving, and the tensor is as declared.
  std::vector<float> out(6);
  first.pull("w", Tensor(out.data(), DType::F32, {2, 3})).get();
  EXPECT_EQ(out, six);
}

TEST(ClientErrors, LocalMisuseIsRefusedBeforeSending) {
  ServerGroup servers(1, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  Client client(client_options(servers.addresses(), 0, 1));
  std::vector<float> values(4, 0.0f);
  EXPECT_EQ(expect_error([&] { client.push("nope", Tensor::of(values)); }).code(), ErrorCode::NotFound);
  EXPECT_EQ(expect_error([&] { client.step("nope"); }).code(), ErrorCode::NotFound);
  client.declare("w", Tensor::of(values)).get();
  std::vector<float> three(3, 0.0f);
  const Error wrong = expect_error([&] { client.push("w", Tensor::of(three)); });
  EXPECT_EQ(wrong.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(wrong.message(), "[3]") && contains(wrong.message(), "[4]")) << wrong.message();
  EXPECT_EQ(expect_error([&] { client.push_pull("w", Tensor::of(values), Tensor::of(values)); }).code(),
            ErrorCode::InvalidArgument);  // overlapping gradient and output
  EXPECT_EQ(expect_error([&] { client.declare_rows("w", DType::F32, 2); }).code(), ErrorCode::InvalidArgument);
  client.declare_rows("rows", DType::F32, 2).get();
  const std::vector<std::int64_t> ids = {1, 2};
  EXPECT_EQ(expect_error([&] { client.push_rows("rows", ids, Tensor::of(three)); }).code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(expect_error([&] { client.pull("rows", Tensor::of(values)); }).code(), ErrorCode::NotFound);
}

TEST(ClientErrors, ServerListMustMatchTheServers) {
  ServerGroup servers(2, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  auto swapped = servers.addresses();
  std::swap(swapped[0], swapped[1]);
  const Error order = expect_error([&] { Client client(client_options(swapped, 0, 1)); });
  EXPECT_EQ(order.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(order.message(), "shard")) << order.message();

  const Error count = expect_error([&] { Client client(client_options({servers[0].address()}, 0, 1)); });
  EXPECT_EQ(count.code(), ErrorCode::InvalidArgument);

  const Error workers = expect_error([&] { Client client(client_options(servers.addresses(), 0, 3)); });
  EXPECT_EQ(workers.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(workers.message(), "workers")) << workers.message();
}

}  // namespace
}  // namespace ronde::ps::testing
