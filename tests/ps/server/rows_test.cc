// Sparse tables: rows created on first touch, duplicate ids summed, lazy per-row updates with
// each row's own optimizer state, sync steps per table.
#include <future>

#include <gtest/gtest.h>

#include "ps/server/server_fixture.h"
#include "ronde/optim/optimizer.h"

namespace ronde::ps::testing {
namespace {

using namespace std::chrono_literals;

TEST(SparseRows, NewRowsAreZeroAndDuplicateIdsAreSummed) {
  RunningServer server({"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(table_declare("emb", 2)).ok());
  const RowsResult fresh = client.pull_rows("emb", 0, 0, {5, -7});
  ASSERT_TRUE(fresh.status.ok()) << fresh.status.error_message();
  EXPECT_EQ(fresh.ids, std::vector<std::int64_t>({5, -7}));
  EXPECT_EQ(fresh.values, std::vector<float>({0, 0, 0, 0}));
  const PushResult pushed = client.push_rows("emb", 0, 0, 1, {5, 9, 5}, {1, 2, 10, 20, 100, 200}, 2);
  ASSERT_TRUE(pushed.status.ok()) << pushed.status.error_message();
  EXPECT_EQ(pushed.reply.version(), 1u);
  EXPECT_EQ(client.pull_rows("emb", 0, 1, {9, 5, -7}).values, std::vector<float>({10, 20, 101, 202, 0, 0}));
  EXPECT_TRUE(client.push_rows("emb", 0, 1, 1, {5}, {1, 1}, 2).reply.duplicate());
  EXPECT_EQ(client.pull_rows("emb", 0, 1, {5}).values, std::vector<float>({101, 202}));
}

TEST(SparseRows, UniformInitIsDeterministicAcrossServers) {
  auto declare = table_declare("emb", 8);
  declare.set_row_init(v1::DeclareRequest::UNIFORM);
  declare.set_init_scale(0.1);
  RunningServer a({"--mode", "async"});
  RunningServer b({"--mode", "async"});
  ASSERT_TRUE(a.client->declare(declare).ok());
  ASSERT_TRUE(b.client->declare(declare).ok());
  const RowsResult first = a.client->pull_rows("emb", 0, 0, {42, 43});
  ASSERT_TRUE(b.client->pull_rows("emb", 0, 0, {43}).status.ok());  // another order of first touches
  const RowsResult second = b.client->pull_rows("emb", 0, 0, {42, 43});
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.values, second.values);
  bool any_nonzero = false;
  for (float v : first.values) {
    EXPECT_LT(std::abs(v), 0.1f);
    any_nonzero = any_nonzero || v != 0;
  }
  EXPECT_TRUE(any_nonzero);
  EXPECT_NE(std::vector<float>(first.values.begin(), first.values.begin() + 8),
            std::vector<float>(first.values.begin() + 8, first.values.end()));
}

TEST(SparseRows, SyncStepsAverageOverWorkersAndTouchOnlyPushedRows) {
  RunningServer server({"--workers", "2", "--mode", "sync", "--optimizer", "sgd", "--opt", "lr=1"});
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(table_declare("emb", 1)).ok());
  ASSERT_TRUE(client.push_rows("emb", 0, 0, 1, {1, 2}, {2, 4}, 1).status.ok());
  EXPECT_EQ(client.pull_rows("emb", 1, 1, {1}, 300ms).status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  auto waiting = std::async(std::launch::async, [&] { return client.pull_rows("emb", 0, 1, {1, 2, 3}); });
  ASSERT_TRUE(client.push_rows("emb", 1, 0, 1, {2}, {6}, 1).status.ok());
  const RowsResult pulled = waiting.get();
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  // Mean over the 2 workers: row 1 gets (2 + 0) / 2, row 2 (4 + 6) / 2, row 3 nothing.
  EXPECT_EQ(pulled.values, std::vector<float>({-1, -5, 0}));
}

TEST(SparseRows, EachRowHasItsOwnOptimizerSteps) {
  RunningServer server({"--workers", "1", "--mode", "async", "--optimizer", "adam", "--opt", "lr=0.1"});
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(table_declare("emb", 2)).ok());
  ASSERT_TRUE(client.push_rows("emb", 0, 0, 1, {1}, {0.5f, -1.0f}, 2).status.ok());
  ASSERT_TRUE(client.push_rows("emb", 0, 1, 2, {1, 2}, {0.25f, 0.5f, 1.0f, 2.0f}, 2).status.ok());
  // Locally: row 1 takes two Adam steps, row 2 one (its first, with bias correction of step 1).
  std::vector<float> row1 = {0, 0}, row2 = {0, 0}, g1 = {0, 0}, g2 = {0, 0};
  auto adam1 = optim::make_optimizer("adam", {{"lr", "0.1"}}, {{"p", Tensor::of(row1), Tensor::of(g1)}});
  auto adam2 = optim::make_optimizer("adam", {{"lr", "0.1"}}, {{"p", Tensor::of(row2), Tensor::of(g2)}});
  g1 = {0.5f, -1.0f};
  adam1->step();
  g1 = {0.25f, 0.5f};
  adam1->step();
  g2 = {1.0f, 2.0f};
  adam2->step();
  EXPECT_EQ(client.pull_rows("emb", 0, 2, {1, 2}).values, std::vector<float>({row1[0], row1[1], row2[0], row2[1]}));
}

}  // namespace
}  // namespace ronde::ps::testing
