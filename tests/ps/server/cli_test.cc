// ronde-ps-server's command line (ServerOptions::parse in-process, the binary's exit codes) and
// the start-up log lines, including the plaintext-on-a-network-address warning.
#include <signal.h>

#include <gtest/gtest.h>

#include "ps/server/server_fixture.h"
#include "ronde/core/error.h"
#include "ronde/ps/server.h"

namespace ronde::ps::testing {
namespace {

ServerOptions parse(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "ronde-ps-server");
  std::vector<const char*> argv;
  for (const auto& argument : arguments) argv.push_back(argument.c_str());
  return ServerOptions::parse(static_cast<int>(argv.size()), argv.data());
}

std::string parse_error(std::vector<std::string> arguments) {
  try {
    parse(std::move(arguments));
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    return error.message();
  }
  return "(no error)";
}

TEST(ServerOptions, EveryFlagIsParsed) {
  const ServerOptions options = parse(
      {"--listen", "0.0.0.0:9000", "--port-file=/tmp/p", "--shard", "1", "--shards", "3", "--workers", "8",
       "--mode", "stale", "--staleness", "2", "--aggregate", "sum", "--optimizer", "adam", "--opt", "lr=0.5",
       "--opt", "beta1=0.8", "--tls", "mutual", "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem",
       "--token-file", "tok", "--checkpoint", "s3://b/p", "--checkpoint-every-steps", "100",
       "--checkpoint-every-seconds", "2.5", "--max-request-bytes", "64M", "--log-level", "debug"});
  EXPECT_EQ(options.listen, "0.0.0.0:9000");
  EXPECT_EQ(options.port_file, "/tmp/p");
  EXPECT_EQ(options.shard, 1u);
  EXPECT_EQ(options.shards, 3u);
  EXPECT_EQ(options.workers, 8u);
  EXPECT_EQ(options.mode, Mode::BoundedStaleness);
  EXPECT_EQ(options.staleness, 2u);
  EXPECT_EQ(options.aggregation, Aggregation::Sum);
  EXPECT_EQ(options.optimizer, "adam");
  EXPECT_EQ(options.optimizer_options.at("lr"), "0.5");
  EXPECT_EQ(options.optimizer_options.at("beta1"), "0.8");
  EXPECT_EQ(options.tls.mode, TlsMode::Mutual);
  EXPECT_EQ(options.tls.cert_file, "c.pem");
  EXPECT_EQ(options.tls.key_file, "k.pem");
  EXPECT_EQ(options.tls.ca_file, "ca.pem");
  EXPECT_EQ(options.token_file, "tok");
  EXPECT_EQ(options.checkpoint_uri, "s3://b/p");
  EXPECT_EQ(options.checkpoint_every_steps, 100);
  EXPECT_DOUBLE_EQ(options.checkpoint_every_seconds, 2.5);
  EXPECT_EQ(options.max_request_bytes, 64u << 20);
  EXPECT_EQ(options.log_level, LogLevel::Debug);
}

TEST(ServerOptions, DefaultsAndErrors) {
  const ServerOptions defaults = parse({});
  EXPECT_EQ(defaults.mode, Mode::Sync);
  EXPECT_EQ(defaults.optimizer, "sgd");
  EXPECT_EQ(defaults.workers, 1u);
  EXPECT_NE(parse_error({"--bogus"}).find("unknown option '--bogus'"), std::string::npos);
  EXPECT_NE(parse_error({"--workers"}).find("--workers needs a value"), std::string::npos);
  EXPECT_NE(parse_error({"--workers", "x"}).find("--workers"), std::string::npos);
  EXPECT_NE(parse_error({"--shard", "2", "--shards", "2"}).find("below --shards 2"), std::string::npos);
  EXPECT_NE(parse_error({"--mode", "fast"}).find("'fast'"), std::string::npos);
  EXPECT_NE(parse_error({"--staleness", "1"}).find("--mode stale"), std::string::npos);
  EXPECT_NE(parse_error({"--optimizer", "adamx"}).find("adamx"), std::string::npos);
  EXPECT_NE(parse_error({"--opt", "lrr=1"}).find("lrr"), std::string::npos);
  EXPECT_NE(parse_error({"--opt", "lr"}).find("key=value"), std::string::npos);
  EXPECT_NE(parse_error({"--optimizer", "sum", "--opt", "lr=1"}).find("takes no options"), std::string::npos);
  EXPECT_NE(parse_error({"--tls", "server"}).find("--cert and --key"), std::string::npos);
  EXPECT_NE(parse_error({"--tls", "mutual", "--cert", "c", "--key", "k"}).find("--ca"), std::string::npos);
  EXPECT_NE(parse_error({"--cert", "c"}).find("--tls server"), std::string::npos);
  EXPECT_NE(parse_error({"--checkpoint-every-steps", "5"}).find("--checkpoint URI"), std::string::npos);
  EXPECT_NE(parse_error({"--max-request-bytes", "0"}).find("--max-request-bytes"), std::string::npos);
  EXPECT_NE(parse_error({"--log-level", "loud"}).find("loud"), std::string::npos);
  EXPECT_NE(parse_error({"stray"}).find("'stray'"), std::string::npos);
}

TEST(ServerBinary, HelpExitsZeroAndListsEveryFlag) {
  const BinaryRun run = run_server_binary({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* flag : {"--listen", "--port-file", "--shard ", "--shards", "--workers", "--mode", "--staleness",
                           "--aggregate", "--optimizer", "--opt ", "--tls", "--cert", "--key", "--ca", "--token-file",
                           "--checkpoint ", "--checkpoint-every-steps", "--checkpoint-every-seconds",
                           "--max-request-bytes", "--log-level", "--help"}) {
    EXPECT_NE(run.output.find(flag), std::string::npos) << flag;
  }
}

TEST(ServerBinary, BadFlagsExitTwoWithAHint) {
  const BinaryRun run = run_server_binary({"--workers", "0"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("--workers"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("--help"), std::string::npos) << run.output;
}

TEST(ServerBinary, StartFailuresExitOneWithTheReason) {
  const BinaryRun tls = run_server_binary(
      {"--listen", "127.0.0.1:0", "--tls", "server", "--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem"});
  EXPECT_EQ(tls.exit_code, 1);
  EXPECT_NE(tls.output.find("/nonexistent/"), std::string::npos) << tls.output;
  const BinaryRun token = run_server_binary({"--listen", "127.0.0.1:0", "--token-file", "/nonexistent/token"});
  EXPECT_EQ(token.exit_code, 1);
  EXPECT_NE(token.output.find("/nonexistent/token"), std::string::npos) << token.output;
  RunningServer taken({});
  const BinaryRun in_use = run_server_binary({"--listen", taken.process.address()});
  EXPECT_EQ(in_use.exit_code, 1);
  EXPECT_NE(in_use.output.find("cannot listen on " + taken.process.address()), std::string::npos) << in_use.output;
}

TEST(ServerLog, StartUpLinesAndThePlaintextWarning) {
  RunningServer server({"--listen", "0.0.0.0:0", "--workers", "2", "--optimizer", "adam", "--opt", "lr=0.5"});
  ASSERT_TRUE(server.client->declare(dense_declare("w", {4}, 1)).ok());
  ASSERT_EQ(server.process.stop(SIGTERM), 0);
  const std::string log = server.process.log_tail();
  EXPECT_NE(log.find("listening on 0.0.0.0:" + std::to_string(server.process.port())), std::string::npos) << log;
  EXPECT_NE(log.find("mode sync (mean), optimizer adam (lr=0.5), tls off, token off, checkpoints off"),
            std::string::npos) << log;
  EXPECT_NE(log.find("PLAINTEXT on non-loopback address 0.0.0.0:0"), std::string::npos) << log;
  EXPECT_NE(log.find("worker 1 connected"), std::string::npos) << log;
  EXPECT_NE(log.find("declared tensor 'w' f32[4] partition 0 of 1"), std::string::npos) << log;
  EXPECT_NE(log.find("shut down"), std::string::npos) << log;
}

TEST(ServerToken, EveryCallNeedsTheToken) {
  TempDir dir;
  const std::string token_file = dir.path() + "/token";
  {
    std::FILE* file = std::fopen(token_file.c_str(), "w");
    std::fputs("s3cret-token\n", file);
    std::fclose(file);
  }
  RunningServer server({"--token-file", token_file}, "s3cret-token");
  v1::StatusReply status;
  ASSERT_TRUE(server.client->status(status).ok());
  ASSERT_TRUE(server.client->declare(dense_declare("w", {1})).ok());
  for (const std::string& token : {std::string(), std::string("wrong")}) {
    RawClient other(server.process.address(), token);
    const char* expected = token.empty() ? "missing bearer token" : "wrong bearer token";
    EXPECT_TRUE(refused(other.status(status), {expected}, grpc::StatusCode::UNAUTHENTICATED));
    EXPECT_TRUE(refused(other.declare(dense_declare("w", {1})), {expected}, grpc::StatusCode::UNAUTHENTICATED));
    EXPECT_TRUE(refused(other.push("w", 0, 0, 0, 0, {1}, v1::INITIAL).status, {expected},
                        grpc::StatusCode::UNAUTHENTICATED));
    EXPECT_TRUE(refused(other.pull("w", 0, 0, 0).status, {expected}, grpc::StatusCode::UNAUTHENTICATED));
    EXPECT_TRUE(refused(other.push_rows("t", 0, 0, 1, {}, {}, 1).status, {expected}, grpc::StatusCode::UNAUTHENTICATED));
    EXPECT_TRUE(refused(other.pull_rows("t", 0, 0, {}).status, {expected}, grpc::StatusCode::UNAUTHENTICATED));
  }
  // Nothing the refused calls sent was taken.
  v1::DeclareReply reply;
  ASSERT_TRUE(server.client->declare(dense_declare("w", {1}), reply).ok());
  EXPECT_FALSE(reply.initialized());
}

}  // namespace
}  // namespace ronde::ps::testing
