// The consistency modes end to end: async (each push applied on arrival), bounded staleness (a pull
// waits for the slowest worker), and the "sum" optimizer (workers compute their own updates).
// Values are integers (or multiples of 1/8) so the expected results are exact.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <thread>

#include "client_fixture.h"
#include "ronde/core/error.h"

namespace ronde::ps::testing {
namespace {

// The current values of `name` as a new client sees them (it declares without changing anything).
std::vector<float> observe(const std::vector<std::string>& servers, std::uint32_t workers, const std::string& name,
                           std::size_t elements, std::size_t partition_bytes) {
  ClientOptions options = client_options(servers, 0, workers);
  options.partition_bytes = partition_bytes;
  Client observer(options);
  std::vector<float> values(elements, -12345.0f);
  observer.declare(name, Tensor::of(values)).get();  // initialized already: nothing pushed
  return values;
}

TEST(ClientModes, AsyncAppliesEveryPushOnArrival) {
  const std::uint32_t workers = 3;
  const int pushes = 10;
  const std::size_t elements = 1000, partition_bytes = 1024;  // 4 partitions over 2 servers
  ServerGroup servers(2, {"--workers", "3", "--mode", "async", "--optimizer", "sum"});
  run_workers(workers, [&](std::uint32_t worker) {
    ClientOptions options = client_options(servers.addresses(), worker, workers);
    options.partition_bytes = partition_bytes;
    Client client(options);
    EXPECT_EQ(client.mode(), Mode::Async);
    std::vector<float> values(elements, 0.0f), grad(elements);
    for (std::size_t i = 0; i < elements; ++i) values[i] = static_cast<float>(i);
    client.declare("w", Tensor::of(values)).get();
    for (int k = 0; k < pushes; ++k) {
      for (std::size_t i = 0; i < elements; ++i) grad[i] = static_cast<float>((worker + 1) * (k + 1) + i % 3);
      if (k % 2 == 0) {
        client.push("w", Tensor::of(grad)).get();
      } else {
        client.push_pull("w", Tensor::of(grad), Tensor::of(values)).get();  // an async pull never waits
      }
    }
    EXPECT_EQ(client.step("w"), pushes);
  });
  const auto values = observe(servers.addresses(), workers, "w", elements, partition_bytes);
  for (std::size_t i = 0; i < elements; ++i) {
    // sum over workers w and pushes k of (w+1)(k+1) + i%3 = 6 * 55 + 30 * (i%3)
    const float expected = static_cast<float>(i) + 6.0f * 55.0f + static_cast<float>(workers * pushes * (i % 3));
    ASSERT_EQ(values[i], expected) << "element " << i << "\n" << servers.logs();
  }
}

TEST(ClientModes, BoundedStalenessWaitsForTheSlowestWorker) {
  ServerGroup servers(1, {"--workers", "2", "--mode", "stale", "--staleness", "1", "--optimizer", "sum"});
  Client fast(client_options(servers.addresses(), 0, 2));
  Client slow(client_options(servers.addresses(), 1, 2));
  EXPECT_EQ(fast.mode(), Mode::BoundedStaleness);
  std::vector<float> fast_values = {10, 20}, slow_values = {0, 0};
  auto declared = slow.declare("v", Tensor::of(slow_values));  // waits for worker 0's values
  fast.declare("v", Tensor::of(fast_values)).get();
  declared.get();
  EXPECT_EQ(slow_values, (std::vector<float>{10, 20}));

  std::vector<float> one = {1, 1};
  // Steps 0 and 1 of the fast worker: a pull for step 2 needs every worker at step >= 1.
  fast.push_pull("v", Tensor::of(one), Tensor::of(fast_values)).get();  // pull for step 1: slowest >= 0
  auto blocked = fast.push_pull("v", Tensor::of(one), Tensor::of(fast_values));
  EXPECT_EQ(blocked.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "a pull 2 steps ahead of a worker that pushed nothing returned with staleness 1";
  std::vector<float> two = {2, 2};
  slow.push("v", Tensor::of(two)).get();  // the slow worker reaches step 1
  blocked.get();
  EXPECT_EQ(fast_values, (std::vector<float>{14, 24}));
  slow.pull("v", Tensor::of(slow_values)).get();
  EXPECT_EQ(slow_values, (std::vector<float>{14, 24}));
}

// A worker whose host is lost stops pushing. In sync mode the others' pulls of the next step are
// refused after --worker-timeout, naming the worker; nothing changes, so when it pushes after all
// the step completes. In async mode nobody waits for it.
TEST(ClientModes, SyncRefusesAStepALostWorkerNeverPushesNamingIt) {
  ServerGroup servers(1, {"--workers", "2", "--mode", "sync", "--aggregate", "sum", "--optimizer", "sum",
                          "--worker-timeout", "1"});
  Client present(client_options(servers.addresses(), 0, 2));
  Client lost(client_options(servers.addresses(), 1, 2));
  std::vector<float> values = {0, 0}, theirs = {0, 0}, one = {1, 1};
  auto declared = lost.declare("w", Tensor::of(theirs));
  present.declare("w", Tensor::of(values)).get();
  declared.get();
  auto pushed = lost.push("w", Tensor::of(one));
  present.push_pull("w", Tensor::of(one), Tensor::of(values)).get();  // step 0: both pushed
  pushed.get();
  ASSERT_EQ(values, (std::vector<float>{2, 2}));

  const auto started = std::chrono::steady_clock::now();
  try {
    present.push_pull("w", Tensor::of(one), Tensor::of(values)).get();  // step 1: worker 1 never pushes
    ADD_FAILURE() << "a sync pull completed without worker 1's push";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Timeout) << error.what();
    EXPECT_NE(error.message().find("not worker 1"), std::string::npos) << error.what();
    EXPECT_NE(error.message().find("--worker-timeout"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "the refusal took too long";
  // Worker 1 comes back: the step completes with both pushes.
  lost.push_pull("w", Tensor::of(one), Tensor::of(theirs)).get();
  present.pull("w", Tensor::of(values)).get();
  EXPECT_EQ(values, (std::vector<float>{4, 4})) << servers.logs();
}

TEST(ClientModes, AsyncCarriesOnWithoutALostWorker) {
  ServerGroup servers(1, {"--workers", "2", "--mode", "async", "--optimizer", "sum", "--worker-timeout", "1"});
  Client present(client_options(servers.addresses(), 0, 2));
  Client lost(client_options(servers.addresses(), 1, 2));
  std::vector<float> values = {0, 0}, theirs = {0, 0}, one = {1, 1};
  present.declare("w", Tensor::of(values)).get();
  lost.declare("w", Tensor::of(theirs)).get();  // then worker 1 is gone
  for (int step = 0; step < 5; ++step) {
    present.push_pull("w", Tensor::of(one), Tensor::of(values)).get();
    if (step == 2) std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the worker timeout
  }
  EXPECT_EQ(values, (std::vector<float>{5, 5})) << servers.logs();
}

TEST(ClientModes, SyncSumModeAddsTheMeanOfTheWorkersUpdates) {
  const std::uint32_t workers = 2;
  const int steps = 5;
  ServerGroup servers(2, {"--workers", "2", "--mode", "sync", "--optimizer", "sum"});
  std::vector<std::vector<float>> results(workers);
  run_workers(workers, [&](std::uint32_t worker) {
    ClientOptions options = client_options(servers.addresses(), worker, workers);
    options.partition_bytes = 64;  // 100 floats -> 7 partitions over 2 servers
    Client client(options);
    auto& values = results[worker];
    values.assign(100, worker == 0 ? 1.0f : 0.0f);
    client.declare("u", Tensor::of(values)).get();
    std::vector<float> update(100);
    for (int step = 0; step < steps; ++step) {
      // The workers compute their own updates; the server adds their mean.
      for (std::size_t i = 0; i < update.size(); ++i) update[i] = static_cast<float>((worker + 1) * (step + 1)) * 0.5f;
      client.push_pull("u", Tensor::of(update), Tensor::of(values)).get();
    }
  });
  // mean over workers of (w+1)(s+1)/2 = 0.75 (s+1); summed over 5 steps = 11.25
  for (const auto& values : results) {
    for (const float value : values) ASSERT_EQ(value, 1.0f + 11.25f) << servers.logs();
  }
}

TEST(ClientModes, PushesOfOneTensorAreSentInOrder) {
  // Many pushes submitted at once: each waits for the previous one, so sync steps never arrive out
  // of order (a step two ahead would be refused as a wrong step).
  ServerGroup servers(1, {"--workers", "1", "--mode", "sync", "--optimizer", "sum"});
  Client client(client_options(servers.addresses(), 0, 1));
  std::vector<float> values = {0, 0, 0};
  client.declare("x", Tensor::of(values)).get();
  std::vector<std::vector<float>> grads;
  for (int k = 0; k < 20; ++k) grads.push_back({1.0f * static_cast<float>(k), 1, 2});
  std::vector<std::future<void>> pending;
  for (auto& grad : grads) pending.push_back(client.push("x", Tensor::of(grad)));
  EXPECT_EQ(client.step("x"), 20);
  for (auto& future : pending) future.get();
  client.pull("x", Tensor::of(values)).get();
  EXPECT_EQ(values, (std::vector<float>{190, 20, 40}));
}

TEST(ClientModes, OtherDtypesAndShapesRoundTrip) {
  ServerGroup servers(2, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  ClientOptions options = client_options(servers.addresses(), 0, 1);
  options.partition_bytes = 40;  // f64[3, 7] (168 bytes) -> 5 partitions; chunks of 16 bytes
  options.chunk_bytes = 16;
  Client client(options);
  std::vector<double> d(21), dg(21), dout(21);
  std::vector<std::int64_t> l = {1, -2, 3}, lg = {10, 20, 30}, lout(3);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = 0.5 * static_cast<double>(i), dg[i] = 1e-3;
  client.declare("d", Tensor(d.data(), DType::F64, {3, 7})).get();
  client.declare("l", Tensor::of(l)).get();
  client.push_pull("d", Tensor(dg.data(), DType::F64, {3, 7}), Tensor(dout.data(), DType::F64, {3, 7})).get();
  client.push_pull("l", Tensor::of(lg), Tensor::of(lout)).get();
  for (std::size_t i = 0; i < d.size(); ++i) EXPECT_EQ(dout[i], d[i] + 1e-3) << i;
  EXPECT_EQ(lout, (std::vector<std::int64_t>{11, 18, 33}));
  EXPECT_EQ(client.shard_map().place("d", DType::F64, {3, 7}).partitions.size(), 5u);
}

TEST(ClientModes, WorkersPushingTensorsInDifferentOrdersDoNotDeadlock) {
  // One call thread each, and each worker submits its tensors in the other's reverse order: a pull
  // waiting for the other worker must not keep this worker's next push from being sent.
  ServerGroup servers(1, {"--workers", "2", "--mode", "sync", "--optimizer", "sum", "--aggregate", "sum"});
  const std::vector<std::string> names = {"a", "b", "c"};
  std::vector<std::map<std::string, std::vector<float>>> results(2);
  run_workers(2, [&](std::uint32_t worker) {
    ClientOptions options = client_options(servers.addresses(), worker, 2);
    options.threads = 1;
    Client client(options);
    auto& values = results[worker];
    for (const auto& name : names) {
      values[name].assign(8, 0.0f);
      client.declare(name, Tensor::of(values[name])).get();
    }
    std::vector<float> grad(8, static_cast<float>(worker + 1));
    for (int step = 0; step < 3; ++step) {
      std::vector<std::future<void>> pending;
      for (std::size_t i = 0; i < names.size(); ++i) {
        const auto& name = worker == 0 ? names[i] : names[names.size() - 1 - i];
        pending.push_back(client.push_pull(name, Tensor::of(grad), Tensor::of(values[name])));
      }
      for (auto& future : pending) future.get();
    }
  });
  for (const auto& values : results) {
    for (const auto& name : names) EXPECT_EQ(values.at(name), std::vector<float>(8, 9.0f)) << name;
  }
}

}  // namespace
}  // namespace ronde::ps::testing
