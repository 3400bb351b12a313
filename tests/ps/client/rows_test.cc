// Sparse rows: tables that grow as new ids appear, spread over servers by ShardMap::server_of_row,
// with duplicate ids summed, deterministic initial rows, and sync steps across every server.
#include <gtest/gtest.h>

#include <cmath>

#include "client_fixture.h"

namespace ronde::ps::testing {
namespace {

constexpr std::int64_t kWidth = 4;

std::vector<float> rows_of(std::initializer_list<float> firsts) {
  std::vector<float> rows;
  for (const float first : firsts) {
    for (std::int64_t c = 0; c < kWidth; ++c) rows.push_back(first + static_cast<float>(c));
  }
  return rows;
}

TEST(ClientRows, TablesGrowAsNewIdsAppear) {
  ServerGroup servers(2, {"--workers", "2", "--mode", "async", "--optimizer", "sum"});
  Client a(client_options(servers.addresses(), 0, 2));
  Client b(client_options(servers.addresses(), 1, 2));
  a.declare_rows("emb", DType::F32, kWidth).get();
  b.declare_rows("emb", DType::F32, kWidth).get();

  const std::vector<std::int64_t> first = {1, 5, 9};
  auto rows = rows_of({10, 20, 30});
  a.push_rows("emb", first, Tensor(rows.data(), DType::F32, {3, kWidth})).get();
  // New ids, one repeated within the push (summed), one far away, one negative.
  const std::vector<std::int64_t> second = {9, 100, 1'000'000'007, -3, 100};
  auto more = rows_of({1, 2, 3, 4, 5});
  b.push_rows("emb", second, Tensor(more.data(), DType::F32, {5, kWidth})).get();

  const std::vector<std::int64_t> ids = {100, 1, 12345, 9, -3, 5, 1'000'000'007, 1};
  std::vector<float> out(ids.size() * kWidth, -1.0f);
  a.pull_rows("emb", ids, Tensor(out.data(), DType::F32, {static_cast<std::int64_t>(ids.size()), kWidth})).get();
  const std::vector<std::vector<float>> expected = {
      {7, 9, 11, 13},    // 100: pushed twice in one push, summed
      {10, 11, 12, 13},  // 1
      {0, 0, 0, 0},      // 12345: never pushed, a new zero row
      {31, 33, 35, 37},  // 9: pushed by both workers
      {4, 5, 6, 7},      // -3
      {20, 21, 22, 23},  // 5
      {3, 4, 5, 6},      // 1000000007
      {10, 11, 12, 13}}; // 1 again
  for (std::size_t r = 0; r < ids.size(); ++r) {
    const std::vector<float> row(out.begin() + static_cast<std::ptrdiff_t>(r * kWidth),
                                 out.begin() + static_cast<std::ptrdiff_t>((r + 1) * kWidth));
    EXPECT_EQ(row, expected[r]) << "row id " << ids[r];
  }
  EXPECT_EQ(a.step("emb"), 1);
  EXPECT_EQ(b.step("emb"), 1);
  if (HasFailure()) ADD_FAILURE() << servers.logs();
}

TEST(ClientRows, UniformInitialRowsAreTheSameForEveryWorker) {
  ServerGroup servers(2, {"--workers", "2", "--mode", "async", "--optimizer", "sgd", "--opt", "lr=0.5"});
  Client a(client_options(servers.addresses(), 0, 2));
  Client b(client_options(servers.addresses(), 1, 2));
  const RowOptions uniform{RowOptions::Init::Uniform, 0.5};
  a.declare_rows("emb", DType::F32, kWidth, uniform).get();
  b.declare_rows("emb", DType::F32, kWidth, uniform).get();
  std::vector<std::int64_t> ids(50);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i * 7919);
  std::vector<float> from_a(ids.size() * kWidth), from_b(ids.size() * kWidth);
  const std::vector<std::int64_t> shape = {static_cast<std::int64_t>(ids.size()), kWidth};
  a.pull_rows("emb", ids, Tensor(from_a.data(), DType::F32, shape)).get();
  b.pull_rows("emb", ids, Tensor(from_b.data(), DType::F32, shape)).get();
  EXPECT_EQ(from_a, from_b);
  float lowest = 1, highest = -1;
  for (const float value : from_a) {
    EXPECT_LE(std::fabs(value), 0.5f);
    lowest = std::min(lowest, value);
    highest = std::max(highest, value);
  }
  EXPECT_LT(lowest, highest);  // not one constant
  // An SGD step on a pushed row moves it by -lr * grad; the others stay.
  std::vector<float> grad(kWidth, 1.0f);
  const std::vector<std::int64_t> one = {ids[3]};
  a.push_rows("emb", one, Tensor(grad.data(), DType::F32, {1, kWidth})).get();
  std::vector<float> after(ids.size() * kWidth);
  b.pull_rows("emb", ids, Tensor(after.data(), DType::F32, shape)).get();
  for (std::size_t i = 0; i < after.size(); ++i) {
    const bool pushed = i / kWidth == 3;
    EXPECT_FLOAT_EQ(after[i], from_a[i] - (pushed ? 0.5f : 0.0f)) << "element " << i;
  }
}

TEST(ClientRows, SyncStepsSpanEveryServer) {
  // Each worker touches rows on only some servers per step; every server still sees every step.
  ServerGroup servers(3, {"--workers", "2", "--mode", "sync", "--aggregate", "sum", "--optimizer", "sum"});
  std::vector<std::vector<float>> results(2);
  const std::vector<std::int64_t> all = {0, 1, 2, 3, 4, 5, 6, 7};
  run_workers(2, [&](std::uint32_t worker) {
    Client client(client_options(servers.addresses(), worker, 2));
    client.declare_rows("t", DType::F32, 1).get();
    for (int step = 0; step < 4; ++step) {
      const std::vector<std::int64_t> ids = {static_cast<std::int64_t>((step + worker) % 8)};
      std::vector<float> row = {static_cast<float>(worker + 1)};
      client.push_rows("t", ids, Tensor(row.data(), DType::F32, {1, 1})).get();
    }
    results[worker].resize(all.size());
    client.pull_rows("t", all, Tensor(results[worker].data(), DType::F32, {8, 1})).get();  // waits for step 4
  });
  // worker 0 touched ids 0..3 with 1, worker 1 ids 1..4 with 2.
  const std::vector<float> expected = {1, 3, 3, 3, 2, 0, 0, 0};
  EXPECT_EQ(results[0], expected) << servers.logs();
  EXPECT_EQ(results[1], expected);
}

TEST(ClientRows, LargePullsAreSplitIntoSeveralCalls) {
  ServerGroup servers(1, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  Client client(client_options(servers.addresses(), 0, 1));
  client.declare_rows("big", DType::F32, 1).get();
  const std::size_t count = 150'000;  // > 2 x 65536 ids on one server
  std::vector<std::int64_t> ids(count);
  std::vector<float> rows(count);
  for (std::size_t i = 0; i < count; ++i) {
    ids[i] = static_cast<std::int64_t>(count - i);
    rows[i] = static_cast<float>(i % 1000);
  }
  client.push_rows("big", ids, Tensor(rows.data(), DType::F32, {static_cast<std::int64_t>(count), 1})).get();
  std::vector<float> out(count, -1);
  client.pull_rows("big", ids, Tensor(out.data(), DType::F32, {static_cast<std::int64_t>(count), 1})).get();
  EXPECT_EQ(out, rows);
}

}  // namespace
}  // namespace ronde::ps::testing
