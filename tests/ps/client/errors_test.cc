// Errors the client reports: an unreachable server (Unavailable naming it, within the retry
// budget), a server that goes away mid-training, a declaration that contradicts an earlier one
// (InvalidArgument naming both shapes), a server list or worker count that disagrees with the
// servers, and local misuse.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>

#include "client_fixture.h"
#include "ronde/core/error.h"
#include "support/test_helpers.h"

namespace ronde::ps::testing {
namespace {

using ronde::testing::error_from;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ClientErrors, UnreachableServerIsUnavailableNamingIt) {
  ClientOptions options = client_options({"127.0.0.1:1"}, 0, 1);  // nothing listens on port 1
  options.retry_budget = std::chrono::milliseconds(400);
  const Error error = error_from([&] { Client client(options); });
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
  const Error error = error_from([&] { client.push("w", Tensor::of(values)).get(); });
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
  const Error shape = error_from([&] { second.declare("w", Tensor(four.data(), DType::F32, {4})).get(); });
  EXPECT_EQ(shape.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(shape.message(), "'w'")) << shape.message();
  EXPECT_TRUE(contains(shape.message(), "2, 3") || contains(shape.message(), "2,3")) << shape.message();
  EXPECT_TRUE(contains(shape.message(), "[4]")) << shape.message();

  std::vector<double> six_doubles(6, 1.0);
  Client third(client_options(servers.addresses(), 1, 2));
  const Error dtype = error_from([&] { third.declare("w", Tensor(six_doubles.data(), DType::F64, {2, 3})).get(); });
  EXPECT_EQ(dtype.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(dtype.message(), "f64") && contains(dtype.message(), "f32")) << dtype.message();

  // The same client declaring again with another shape is refused before anything is sent.
  const Error local = error_from([&] { first.declare("w", Tensor(four.data(), DType::F32, {4})); });
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
  EXPECT_EQ(error_from([&] { client.push("nope", Tensor::of(values)); }).code(), ErrorCode::NotFound);
  EXPECT_EQ(error_from([&] { client.step("nope"); }).code(), ErrorCode::NotFound);
  client.declare("w", Tensor::of(values)).get();
  std::vector<float> three(3, 0.0f);
  const Error wrong = error_from([&] { client.push("w", Tensor::of(three)); });
  EXPECT_EQ(wrong.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(wrong.message(), "[3]") && contains(wrong.message(), "[4]")) << wrong.message();
  EXPECT_EQ(error_from([&] { client.push_pull("w", Tensor::of(values), Tensor::of(values)); }).code(),
            ErrorCode::InvalidArgument);  // overlapping gradient and output
  EXPECT_EQ(error_from([&] { client.declare_rows("w", DType::F32, 2); }).code(), ErrorCode::InvalidArgument);
  client.declare_rows("rows", DType::F32, 2).get();
  const std::vector<std::int64_t> ids = {1, 2};
  EXPECT_EQ(error_from([&] { client.push_rows("rows", ids, Tensor::of(three)); }).code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(error_from([&] { client.pull("rows", Tensor::of(values)); }).code(), ErrorCode::NotFound);
}

TEST(ClientErrors, ServerListMustMatchTheServers) {
  ServerGroup servers(2, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  auto swapped = servers.addresses();
  std::swap(swapped[0], swapped[1]);
  const Error order = error_from([&] { Client client(client_options(swapped, 0, 1)); });
  EXPECT_EQ(order.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(order.message(), "shard")) << order.message();

  const Error count = error_from([&] { Client client(client_options({servers[0].address()}, 0, 1)); });
  EXPECT_EQ(count.code(), ErrorCode::InvalidArgument);

  const Error workers = error_from([&] { Client client(client_options(servers.addresses(), 0, 3)); });
  EXPECT_EQ(workers.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(workers.message(), "workers")) << workers.message();
}

// A push that fails leaves the tensor's step where it was (client.h, FAILED PUSHES). Here worker
// 0's sync push of step 1 times out (worker 1 has not pushed step 0, so the server cannot take it);
// once worker 1 has, worker 0's next push carries step 1 again and is accepted, and training goes on
// with exactly one update per step. The same for a sparse table's rows.
TEST(ClientErrors, FailedPushLeavesTheStepSoTheNextPushIsAccepted) {
  ServerGroup servers(1, {"--workers", "2", "--mode", "sync", "--aggregate", "sum", "--optimizer", "sum"});
  ClientOptions impatient = client_options(servers.addresses(), 0, 2);
  impatient.wait_timeout = std::chrono::milliseconds(800);  // sync pushes wait up to this long
  Client w0(impatient);
  Client w1(client_options(servers.addresses(), 1, 2));
  std::vector<float> values0(3, 0.0f), values1(3, 0.0f);
  w0.declare("w", Tensor::of(values0)).get();
  w1.declare("w", Tensor::of(values1)).get();
  std::vector<float> ones(3, 1.0f), tens(3, 10.0f);

  w0.push("w", Tensor::of(ones)).get();  // step 0
  const Error timeout = error_from([&] { w0.push("w", Tensor::of(ones)).get(); });  // step 1
  EXPECT_EQ(timeout.code(), ErrorCode::Timeout) << timeout.message();
  EXPECT_TRUE(contains(timeout.message(), servers[0].address())) << timeout.message();
  EXPECT_EQ(w0.step("w"), 1);
  w1.push("w", Tensor::of(tens)).get();  // worker 1's step 0 completes step 0
  w0.push("w", Tensor::of(ones)).get();  // step 1 again: accepted
  EXPECT_EQ(w0.step("w"), 2);
  w1.push_pull("w", Tensor::of(tens), Tensor::of(values1)).get();  // step 1 completes
  w0.pull("w", Tensor::of(values0)).get();
  EXPECT_EQ(values0, std::vector<float>(3, 22.0f)) << servers.logs();
  EXPECT_EQ(values1, values0);

  w0.declare_rows("emb", DType::F32, 2).get();
  w1.declare_rows("emb", DType::F32, 2).get();
  const std::vector<std::int64_t> ids = {5};
  std::vector<float> row_ones(2, 1.0f), row_tens(2, 10.0f), pulled(2, 0.0f);
  auto rows = [](std::vector<float>& row) { return Tensor(row.data(), DType::F32, {1, 2}); };
  w0.push_rows("emb", ids, rows(row_ones)).get();  // step 0
  EXPECT_EQ(error_from([&] { w0.push_rows("emb", ids, rows(row_ones)).get(); }).code(), ErrorCode::Timeout);
  EXPECT_EQ(w0.step("emb"), 1);
  w1.push_rows("emb", ids, rows(row_tens)).get();
  w0.push_rows("emb", ids, rows(row_ones)).get();  // step 1 again: accepted
  w1.push_rows("emb", ids, rows(row_tens)).get();
  w1.pull_rows("emb", ids, rows(pulled)).get();
  EXPECT_EQ(pulled, std::vector<float>(2, 22.0f)) << servers.logs();
}

// Shapes whose size does not fit in 64 bits are refused on the caller's thread, naming the tensor
// and its shape, before anything is sent (declare() throws; it does not return a future).
TEST(ClientErrors, HugeShapesAreRefusedBeforeAnythingIsSent) {
  ServerGroup servers(1, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  Client client(client_options(servers.addresses(), 0, 1));
  float dummy = 0;
  // 2^62 elements: the count fits in an int64, its 2^64 bytes of f32 do not. No ronde::Tensor can
  // describe them (core refuses the shape, naming it), so the declare never starts; ShardMap's own
  // check of such shapes is in shard_map_test.cc.
  const Error dense = error_from([&] { client.declare("huge", Tensor(&dummy, DType::F32, {1LL << 31, 1LL << 31})); });
  EXPECT_EQ(dense.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(dense.message(), "[2147483648,2147483648]")) << dense.message();
  // Rows of 2^62 f32 elements: 2^64 bytes each.
  const Error rows = error_from([&] { client.declare_rows("wide", DType::F32, 1LL << 62); });
  EXPECT_EQ(rows.code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(rows.message(), "'wide'") && contains(rows.message(), "4611686018427387904")) << rows.message();
  // Nothing reached the server, and the client still works.
  EXPECT_EQ(error_from([&] { client.step("wide"); }).code(), ErrorCode::NotFound);
  std::vector<float> values = {1, 2};
  client.declare("w", Tensor::of(values)).get();
  EXPECT_EQ(client.step("w"), 0);
  EXPECT_EQ(servers[0].log_tail().find("huge"), std::string::npos) << servers[0].log_tail();
}

}  // namespace
}  // namespace ronde::ps::testing
