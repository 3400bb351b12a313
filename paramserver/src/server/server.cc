// ronde::ps::Server: start-up (token, restore, listen, port file), serving, shutdown.
#include "ronde/ps/server.h"

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "common/wire.h"
#include "security/credentials.h"
#include "server/checkpoint_loop.h"
#include "server/service.h"

namespace ronde::ps {
namespace {

using server::ServerCore;

// How long shutdown lets calls in flight finish before cancelling them.
constexpr std::chrono::seconds kShutdownGrace{10};
constexpr std::chrono::milliseconds kReplyFlushGrace{250};

std::string new_incarnation() {
  std::random_device entropy;
  std::ostringstream text;
  text << std::hex << entropy() << entropy();
  return text.str();
}

// Written to a temporary name and renamed, so a reader never sees a partial port.
void write_port_file(const std::string& path, int port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out) throw Error(ErrorCode::InvalidArgument, "cannot write the port file " + temporary);
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) throw Error(ErrorCode::InvalidArgument, "cannot write the port file " + path + ": " + error.message());
}

std::string describe_optimizer(const ServerOptions& options) {
  std::string text = options.optimizer;
  if (!options.optimizer_options.empty()) {
    text += " (";
    bool first = true;
    for (const auto& [key, value] : options.optimizer_options) {
      text += (first ? "" : ", ") + key + "=" + value;
      first = false;
    }
    text += ")";
  }
  return text;
}

std::string describe_checkpoints(const ServerOptions& options) {
  if (options.checkpoint_uri.empty()) return "off";
  std::ostringstream text;
  text << server::shard_checkpoint_uri(options.checkpoint_uri, options.shard);
  if (options.checkpoint_every_steps > 0) text << " every " << options.checkpoint_every_steps << " steps";
  if (options.checkpoint_every_seconds > 0) text << " every " << options.checkpoint_every_seconds << " s";
  text << " and on shutdown";
  return text.str();
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions server_options)
      : options(std::move(server_options)),
        log(options.log_level,
            "ronde-ps-server " + std::to_string(options.shard) + "/" + std::to_string(options.shards) + " " +
                local_host_name()) {}

  ServerOptions options;
  Logger log;
  std::unique_ptr<ServerCore> core;
  std::unique_ptr<server::CheckpointLoop> checkpoints;
  std::unique_ptr<server::Service> service;
  std::unique_ptr<grpc::Server> grpc_server;
  int port = 0;

  std::mutex mutex;
  std::condition_variable done_changed;
  bool started = false;
  bool shutting_down = false;
  bool done = false;
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { shutdown(false); }

void Server::start() {
  Impl& impl = *impl_;
  const ServerOptions& options = impl.options;
  {
    std::lock_guard<std::mutex> lock(impl.mutex);
    if (impl.started) throw Error(ErrorCode::InvalidArgument, "the parameter server was started already");
    impl.started = true;
  }
  const std::string token = options.token_file.empty() ? std::string() : read_token_file(options.token_file);
  impl.core = std::make_unique<ServerCore>(options, impl.log, token, new_incarnation());
  ServerCore& core = *impl.core;
  if (!options.checkpoint_uri.empty()) {
    impl.checkpoints = std::make_unique<server::CheckpointLoop>(core);
    impl.checkpoints->restore();
    core.checkpointing = true;
    core.request_checkpoint = [loop = impl.checkpoints.get()] { loop->request(); };
  }

  impl.service = std::make_unique<server::Service>(core);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, security::server_credentials(options.tls), &impl.port);
  builder.RegisterService(impl.service.get());
  builder.SetMaxReceiveMessageSize(wire::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(wire::kMaxMessageBytes);
  // Never share the port with another process (gRPC sets SO_REUSEPORT by default).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Keepalive: ping idle connections, and accept clients' keepalive pings without penalty.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  impl.grpc_server = builder.BuildAndStart();
  if (!impl.grpc_server || impl.port == 0) {
    impl.grpc_server.reset();
    throw Error(ErrorCode::Unavailable, "cannot listen on " + options.listen +
                                            " (the address is in use, or not an address of this host)");
  }
  if (impl.checkpoints) impl.checkpoints->start();

  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  impl.log.info("listening on ", host, ":", impl.port, ": shard ", options.shard, " of ", options.shards, ", ",
                options.workers, " workers, mode ", to_string(options.mode),
                options.mode == Mode::BoundedStaleness ? " (staleness " + std::to_string(options.staleness) + ")" : "",
                options.mode == Mode::Sync ? (options.aggregation == Aggregation::Mean ? " (mean)" : " (sum)") : "",
                ", optimizer ", describe_optimizer(options), ", tls ", to_string(options.tls.mode), ", token ",
                core.tokens.enabled() ? "on" : "off", ", checkpoints ", describe_checkpoints(options),
                ", incarnation ", core.incarnation);
  if (options.tls.mode == TlsMode::Off && !security::is_loopback_address(options.listen)) {
    impl.log.warn("serving PLAINTEXT on non-loopback address ", options.listen,
                  ": parameters, gradients", core.tokens.enabled() ? " and the token" : "",
                  " cross the network unencrypted (use --tls server or --tls mutual)");
  }
  if (!options.port_file.empty()) write_port_file(options.port_file, impl.port);
}

int Server::port() const { return impl_->port; }

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  impl_->done_changed.wait(lock, [&] { return impl_->done || !impl_->started; });
}

void Server::shutdown(bool checkpoint) {
  Impl& impl = *impl_;
  {
    std::unique_lock<std::mutex> lock(impl.mutex);
    if (!impl.started || impl.done) return;
    if (impl.shutting_down) {
      impl.done_changed.wait(lock, [&] { return impl.done; });
      return;
    }
    impl.shutting_down = true;
  }
  if (impl.core) {
    impl.log.info("shutting down", checkpoint && impl.checkpoints ? " (final checkpoint after the calls in flight)" : "");
    impl.core->stopping.store(true);
    impl.core->registry.wake_all();
  }
  if (impl.grpc_server) {
    // Calls in flight finish (waiting ones end at once with UNAVAILABLE, new ones are refused);
    // then gRPC stops almost at once. Waiting for gRPC's own graceful shutdown instead would wait for idle
    // client connections to go away too (seconds), for nothing.
    const auto grace_end = std::chrono::steady_clock::now() + kShutdownGrace;
    while (impl.core->in_flight.load() > 0 && std::chrono::steady_clock::now() < grace_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (impl.core->in_flight.load() > 0) {
      impl.log.warn(impl.core->in_flight.load(), " calls still running after ",
                    std::chrono::duration_cast<std::chrono::seconds>(kShutdownGrace).count(), " s: cancelling them");
    }
    // A short deadline rather than none: a handler that has returned may still have its reply to
    // send (a push applied and acknowledged), which gRPC then delivers instead of cancelling.
    impl.grpc_server->Shutdown(std::chrono::system_clock::now() + kReplyFlushGrace);
    impl.grpc_server->Wait();
  }
  bool saved = true;
  if (impl.checkpoints) saved = impl.checkpoints->stop(checkpoint);
  if (impl.core) impl.log.info("shut down", saved ? "" : " (the final checkpoint FAILED: a restart resumes from an older one)");
  std::lock_guard<std::mutex> lock(impl.mutex);
  impl.done = true;
  impl.done_changed.notify_all();
}

}  // namespace ronde::ps
