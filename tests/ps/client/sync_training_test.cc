// Sync mode through real servers equals allreduce-average training: 3 workers (threads, each its
// own Client) push the same gradients a data-parallel job would average, the servers apply them
// with the same optimizer, and every worker ends with the reference's values. With 1 and 3
// servers, a tensor split into partitions across servers, and every optimizer on the servers.
#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <ostream>

#include "client_fixture.h"
#include "training_reference.h"

namespace ronde::ps::testing {
namespace {

constexpr std::size_t kPartitionBytes = 1024;  // "w" (4000 bytes) is split into 4 partitions

const std::vector<TensorSpec> kTensors = {{"w", {40, 25}}, {"b", {7}}};

// Trains through the servers; returns each worker's final values.
std::vector<std::map<std::string, std::vector<float>>> train_through_servers(ServerGroup& servers,
                                                                             std::uint32_t workers, std::int64_t steps) {
  std::vector<std::map<std::string, std::vector<float>>> results(workers);
  run_workers(workers, [&](std::uint32_t worker) {
    ClientOptions options = client_options(servers.addresses(), worker, workers);
    options.partition_bytes = kPartitionBytes;
    Client client(options);
    auto& values = results[worker];
    std::map<std::string, std::vector<float>> grads;
    for (std::size_t t = 0; t < kTensors.size(); ++t) {
      auto& value = values[kTensors[t].name];
      value.resize(kTensors[t].numel());
      // Worker 0's initial values win; the others start from garbage that declare overwrites.
      for (std::size_t i = 0; i < value.size(); ++i) value[i] = worker == 0 ? initial_value(i, t) : -1000.0f - static_cast<float>(worker);
      grads[kTensors[t].name].resize(value.size());
      client.declare(kTensors[t].name, Tensor(value.data(), DType::F32, kTensors[t].shape)).get();
      EXPECT_EQ(client.step(kTensors[t].name), 0);
    }
    for (std::int64_t step = 0; step < steps; ++step) {
      std::vector<std::future<void>> pending;
      for (std::size_t t = 0; t < kTensors.size(); ++t) {
        auto& grad = grads[kTensors[t].name];
        for (std::size_t i = 0; i < grad.size(); ++i) grad[i] = gradient_value(worker, step, i, t);
        pending.push_back(client.push_pull(kTensors[t].name, Tensor(grad.data(), DType::F32, kTensors[t].shape),
                                           Tensor(values[kTensors[t].name].data(), DType::F32, kTensors[t].shape)));
      }
      for (auto& future : pending) future.get();
    }
    for (const auto& spec : kTensors) EXPECT_EQ(client.step(spec.name), steps);
  });
  return results;
}

void expect_close(const std::map<std::string, std::vector<float>>& got,
                  const std::map<std::string, std::vector<float>>& want, const std::string& who) {
  for (const auto& [name, expected] : want) {
    const auto& actual = got.at(name);
    ASSERT_EQ(actual.size(), expected.size());
    int reported = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const double tolerance = 2e-6 * std::max(1.0, std::fabs(static_cast<double>(expected[i])));
      if (std::fabs(static_cast<double>(actual[i]) - expected[i]) > tolerance && reported++ < 5) {
        ADD_FAILURE() << who << ": " << name << "[" << i << "] = " << actual[i] << ", reference " << expected[i];
      }
    }
  }
}

void check_sync_sgd(int server_count) {
  const std::uint32_t workers = 3;
  const std::int64_t steps = 6;
  const optim::OptionMap sgd = {{"lr", "0.1"}, {"momentum", "0.9"}};
  ServerGroup servers(server_count, {"--workers", "3", "--mode", "sync", "--optimizer", "sgd", "--opt", "lr=0.1",
                                     "--opt", "momentum=0.9"});
  const auto results = train_through_servers(servers, workers, steps);
  // The reference trains each tensor as one parameter, as allreduce-mode training does.
  const auto reference = reference_training(kTensors, "sgd", sgd, workers, steps, nullptr);
  for (std::uint32_t w = 0; w < workers; ++w) expect_close(results[w], reference, "worker " + std::to_string(w));
  for (std::uint32_t w = 1; w < workers; ++w) EXPECT_EQ(results[w], results[0]) << "workers disagree";
  if (::testing::Test::HasFailure()) ADD_FAILURE() << servers.logs();
}

TEST(ClientSync, SgdMatchesAllreduceAverageWithOneServer) { check_sync_sgd(1); }

TEST(ClientSync, SgdMatchesAllreduceAverageWithThreeServers) { check_sync_sgd(3); }

struct OptimizerCase {
  std::string name;
  optim::OptionMap options;
};
void PrintTo(const OptimizerCase& optimizer, std::ostream* out) { *out << optimizer.name; }

class ClientSyncOptimizer : public ::testing::TestWithParam<OptimizerCase> {};

TEST_P(ClientSyncOptimizer, ServerSideOptimizerMatchesTheReference) {
  const auto& [name, options] = GetParam();
  const std::uint32_t workers = 2;
  const std::int64_t steps = 4;
  std::vector<std::string> flags = {"--workers", "2", "--mode", "sync", "--optimizer", name};
  for (const auto& [key, value] : options) flags.insert(flags.end(), {"--opt", key + "=" + value});
  ServerGroup servers(2, flags);
  const auto results = train_through_servers(servers, workers, steps);
  // Each partition is its own parameter on the servers (LAMB's trust ratio is per partition).
  const ShardMap map(2, kPartitionBytes);
  const auto reference = reference_training(kTensors, name, options, workers, steps, &map);
  for (std::uint32_t w = 0; w < workers; ++w) expect_close(results[w], reference, name + " worker " + std::to_string(w));
  if (::testing::Test::HasFailure()) ADD_FAILURE() << servers.logs();
}

INSTANTIATE_TEST_SUITE_P(
    EveryOptimizer, ClientSyncOptimizer,
    ::testing::Values(OptimizerCase{"sgd", {{"lr", "0.05"}, {"momentum", "0.9"}, {"nesterov", "true"}, {"weight_decay", "0.01"}}},
                      OptimizerCase{"adam", {{"lr", "0.01"}}},
                      OptimizerCase{"adamw", {{"lr", "0.01"}, {"weight_decay", "0.05"}}},
                      OptimizerCase{"adagrad", {{"lr", "0.1"}, {"lr_decay", "0.01"}}},
                      OptimizerCase{"rmsprop", {{"lr", "0.01"}, {"momentum", "0.5"}, {"centered", "true"}}},
                      OptimizerCase{"lamb", {{"lr", "0.01"}, {"weight_decay", "0.01"}}}),
    [](const ::testing::TestParamInfo<OptimizerCase>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace ronde::ps::testing
