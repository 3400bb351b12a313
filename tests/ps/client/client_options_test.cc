// ClientOptions::from_env (RONDE_PS_*, and the launcher's rank and size as the fallback) and the
// checks a Client applies to its options before connecting.
#include <gtest/gtest.h>

#include <string>

#include "ronde/core/error.h"
#include "ronde/ps/client.h"
#include "support/temp_dir.h"

namespace ronde::ps {
namespace {

TEST(ClientOptions, DefaultsWithoutVariables) {
  const MapEnvironment env;
  const ClientOptions options = ClientOptions::from_env(env);
  EXPECT_TRUE(options.servers.empty());
  EXPECT_EQ(options.worker, 0u);
  EXPECT_EQ(options.workers, 1u);
  EXPECT_EQ(options.tls.mode, TlsMode::Off);
  EXPECT_TRUE(options.token.empty());
  EXPECT_EQ(options.partition_bytes, std::size_t{2} << 20);
  EXPECT_EQ(options.chunk_bytes, std::size_t{4} << 20);
  EXPECT_EQ(options.threads, 4);
  EXPECT_EQ(options.connections, 2);
}

TEST(ClientOptions, ReadsEveryKnob) {
  const ronde::testing::TempDir dir("ps-client-options");
  const std::string token_path = dir.write("token", "  s3cret-token\n");
  MapEnvironment env({{"RONDE_PS_SERVERS", " 10.0.0.5:7070, 10.0.0.6:7070 ,"},
                      {"RONDE_PS_WORKER", "3"},
                      {"RONDE_PS_WORKERS", "8"},
                      {"RONDE_PS_TLS", "mutual"},
                      {"RONDE_PS_CA", "ca.pem"},
                      {"RONDE_PS_CERT", "worker.pem"},
                      {"RONDE_PS_KEY", "worker.key"},
                      {"RONDE_PS_TOKEN_FILE", token_path},
                      {"RONDE_PS_PARTITION_BYTES", "4M"},
                      {"RONDE_PS_CHUNK_BYTES", "256K"},
                      {"RONDE_PS_CALL_TIMEOUT_S", "2.5"},
                      {"RONDE_PS_WAIT_TIMEOUT_S", "90"},
                      {"RONDE_PS_RETRY_SECONDS", "7"},
                      {"RONDE_PS_CLIENT_THREADS", "6"},
                      {"RONDE_PS_CONNECTIONS", "5"}});
  const ClientOptions options = ClientOptions::from_env(env);
  EXPECT_EQ(options.servers, (std::vector<std::string>{"10.0.0.5:7070", "10.0.0.6:7070"}));
  EXPECT_EQ(options.worker, 3u);
  EXPECT_EQ(options.workers, 8u);
  EXPECT_EQ(options.tls.mode, TlsMode::Mutual);
  EXPECT_EQ(options.tls.ca_file, "ca.pem");
  EXPECT_EQ(options.tls.cert_file, "worker.pem");
  EXPECT_EQ(options.tls.key_file, "worker.key");
  EXPECT_EQ(options.token, "s3cret-token");
  EXPECT_EQ(options.partition_bytes, std::size_t{4} << 20);
  EXPECT_EQ(options.chunk_bytes, std::size_t{256} << 10);
  EXPECT_EQ(options.call_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(options.wait_timeout, std::chrono::seconds(90));
  EXPECT_EQ(options.retry_budget, std::chrono::seconds(7));
  EXPECT_EQ(options.threads, 6);
  EXPECT_EQ(options.connections, 5);
}

TEST(ClientOptions, WorkerFallsBackToTheLaunchersRankAndSize) {
  const ClientOptions mpi = ClientOptions::from_env(
      MapEnvironment({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "4"}}));
  EXPECT_EQ(mpi.worker, 2u);
  EXPECT_EQ(mpi.workers, 4u);
  const ClientOptions torchrun = ClientOptions::from_env(MapEnvironment({{"RANK", "1"}, {"WORLD_SIZE", "3"}}));
  EXPECT_EQ(torchrun.worker, 1u);
  EXPECT_EQ(torchrun.workers, 3u);
  // RONDE_PS_* wins over the launcher.
  const ClientOptions both = ClientOptions::from_env(
      MapEnvironment({{"RANK", "1"}, {"WORLD_SIZE", "3"}, {"RONDE_PS_WORKER", "0"}, {"RONDE_PS_WORKERS", "2"}}));
  EXPECT_EQ(both.worker, 0u);
  EXPECT_EQ(both.workers, 2u);
}

TEST(ClientOptions, BadValuesNameTheVariable) {
  auto expect_invalid = [](std::map<std::string, std::string, std::less<>> values, const std::string& named) {
    try {
      ClientOptions::from_env(MapEnvironment(std::move(values)));
      ADD_FAILURE() << named << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(error.message().find(named), std::string::npos) << error.message();
    }
  };
  expect_invalid({{"RONDE_PS_WORKER", "one"}}, "RONDE_PS_WORKER");
  expect_invalid({{"RONDE_PS_TLS", "maybe"}}, "maybe");
  expect_invalid({{"RONDE_PS_CLIENT_THREADS", "0"}}, "RONDE_PS_CLIENT_THREADS");
  expect_invalid({{"RONDE_PS_CONNECTIONS", "0"}}, "RONDE_PS_CONNECTIONS");
  expect_invalid({{"RONDE_PS_CONNECTIONS", "65"}}, "RONDE_PS_CONNECTIONS");
  expect_invalid({{"RONDE_PS_RETRY_SECONDS", "-1"}}, "RONDE_PS_RETRY_SECONDS");
  expect_invalid({{"RONDE_PS_TOKEN_FILE", "/nonexistent/ronde-token"}}, "/nonexistent/ronde-token");
}

TEST(ClientOptions, ClientRefusesUnusableOptionsBeforeConnecting) {
  auto expect_invalid = [](ClientOptions options, const std::string& named) {
    try {
      Client client(std::move(options));
      ADD_FAILURE() << "options with bad " << named << " were accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(error.message().find(named), std::string::npos) << error.message();
    }
  };
  ClientOptions options;
  expect_invalid(options, "no parameter servers");
  options.servers = {"127.0.0.1:1"};
  options.worker = 2;
  options.workers = 2;
  expect_invalid(options, "worker 2");
  options.worker = 0;
  options.chunk_bytes = std::size_t{64} << 20;
  expect_invalid(options, "chunk_bytes");
  options.chunk_bytes = std::size_t{1} << 20;
  options.connections = 0;
  expect_invalid(options, "connections");
}

TEST(ClientOptions, ModeNamesRoundTrip) {
  for (Mode mode : {Mode::Sync, Mode::Async, Mode::BoundedStaleness}) EXPECT_EQ(parse_mode(to_string(mode)), mode);
  EXPECT_THROW(parse_mode("eventual"), Error);
}

}  // namespace
}  // namespace ronde::ps
