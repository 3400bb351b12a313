// Every optimizer on the server gives exactly (bit for bit) what ronde::optim gives locally for
// the same gradients: one worker in sync mode, so the aggregate is the pushed gradient itself.
#include <cstring>

#include <gtest/gtest.h>

#include "ps/server/server_fixture.h"
#include "ronde/optim/optimizer.h"

namespace ronde::ps::testing {
namespace {

struct Case {
  std::string optimizer;
  optim::OptionMap options;
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.optimizer; }

std::vector<std::string> server_arguments(const Case& c) {
  std::vector<std::string> arguments = {"--workers", "1", "--mode", "sync", "--optimizer", c.optimizer};
  for (const auto& [key, value] : c.options) {
    arguments.push_back("--opt");
    arguments.push_back(key + "=" + value);
  }
  return arguments;
}

const std::vector<float> kInitial = {0.5f, -1.25f, 2.0f, 0.0f, 3.5f};
const std::vector<std::vector<float>> kGradients = {
    {0.1f, -0.2f, 0.3f, 0.0f, 1.0f}, {-0.5f, 0.25f, 0.125f, 2.0f, -1.0f}, {0.3f, 0.3f, -0.7f, 0.01f, 0.0f}};

// What the optimizer does to kInitial locally.
std::vector<float> local_result(const Case& c) {
  std::vector<float> values = kInitial;
  std::vector<float> grad(values.size());
  if (c.optimizer == "sum") {
    for (const auto& g : kGradients) {
      for (std::size_t i = 0; i < values.size(); ++i) values[i] += g[i];
    }
    return values;
  }
  auto optimizer = optim::make_optimizer(c.optimizer, c.options, {{"p", Tensor::of(values), Tensor::of(grad)}});
  for (const auto& g : kGradients) {
    grad = g;
    optimizer->step();
  }
  return values;
}

class ServerOptimizer : public ::testing::TestWithParam<Case> {};

TEST_P(ServerOptimizer, MatchesTheLocalOptimizerExactly) {
  RunningServer server(server_arguments(GetParam()));
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(dense_declare("w", {5})).ok());
  ASSERT_TRUE(client.push("w", 0, 0, 0, 0, kInitial, v1::INITIAL).status.ok());
  for (std::size_t step = 0; step < kGradients.size(); ++step) {
    const PushResult pushed = client.push("w", 0, 0, static_cast<std::int64_t>(step), step + 1, kGradients[step]);
    ASSERT_TRUE(pushed.status.ok()) << pushed.status.error_message();
    EXPECT_EQ(pushed.reply.version(), step + 1);
  }
  const PullResult pulled = client.pull("w", 0, 0, static_cast<std::int64_t>(kGradients.size()));
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  const std::vector<float> expected = local_result(GetParam());
  ASSERT_EQ(pulled.values.size(), expected.size());
  EXPECT_EQ(std::memcmp(pulled.values.data(), expected.data(), expected.size() * sizeof(float)), 0)
      << "server " << ::testing::PrintToString(pulled.values) << " vs local " << ::testing::PrintToString(expected);
}

INSTANTIATE_TEST_SUITE_P(
    Every, ServerOptimizer,
    ::testing::Values(Case{"sgd", {{"lr", "0.1"}, {"momentum", "0.9"}, {"nesterov", "1"}}},
                      Case{"adam", {{"lr", "0.01"}, {"weight_decay", "0.1"}}}, Case{"adamw", {{"lr", "0.01"}}},
                      Case{"adagrad", {{"lr", "0.1"}}}, Case{"rmsprop", {{"lr", "0.01"}, {"momentum", "0.5"}}},
                      Case{"lamb", {{"lr", "0.01"}, {"weight_decay", "0.01"}}}, Case{"sum", {}}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.optimizer; });

}  // namespace
}  // namespace ronde::ps::testing
