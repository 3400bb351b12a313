// A parameter server: one shard of the job's tensors, its optimizer, its consistency mode, its
// checkpoints. ronde-ps-server (tools/ronde-ps-server) is a thin command line over this class;
// docs/PARAMETER_SERVER.md documents every option.
//
//   ronde::ps::Server server(ServerOptions::parse(argc, argv));
//   server.start();                       // listening once this returns
//   server.wait();                        // until shutdown() (e.g. from SIGTERM)
//
// Semantics (per dense partition; sparse tables the same, per row):
//  - Sync: a push of step s is summed into the step's accumulator (then acknowledged); once all
//    `workers` pushed s, the aggregate (mean or sum) is applied with the optimizer and the version
//    becomes s+1. A push of a later step waits until the partition reaches it (up to the call's
//    deadline); a push of an earlier step is a duplicate if its sequence was seen, else
//    INVALID_ARGUMENT "wrong step".
//  - Async: each push is applied on arrival; the version counts applied pushes.
//  - BoundedStaleness tau: as async, and a pull for step s waits until every worker has pushed at
//    least s - tau steps.
//  - optimizer "sum": values += aggregate (workers compute their own updates); otherwise any optimizer
//    of ronde::optim::make_optimizer with optimizer_options.
//  - Every request is validated before anything changes: unknown tensor, dtype or shape mismatch,
//    wrong step, sizes above max_request_bytes, malformed streams get INVALID_ARGUMENT naming the
//    tensor (and both shapes); the server keeps serving.
//  - Checkpoints (when checkpoint_uri is set) under <checkpoint_uri>/shard-<index>: values, optimizer
//    state, step accumulators, the shard map (server count, partition layout, format version) and
//    per-worker sequence numbers; every checkpoint_every_steps versions or checkpoint_every_seconds,
//    and on shutdown. start() restores the latest valid one; a checkpoint written for another server
//    count is Error(InvalidArgument) saying so (re-partitioning is not supported).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ronde/core/logging.h"
#include "ronde/optim/optimizer.h"
#include "ronde/ps/client.h"
#include "ronde/ps/security.h"

namespace ronde::ps {

enum class Aggregation { Mean, Sum };  // how sync mode combines one step's pushes

struct ServerOptions {
  std::string listen = "127.0.0.1:7070";  // port 0 picks a free port (see port_file)
  std::string port_file;                  // when set, the bound port is written there once listening
  std::uint32_t shard = 0;
  std::uint32_t shards = 1;
  std::uint32_t workers = 1;
  Mode mode = Mode::Sync;
  std::uint32_t staleness = 0;            // tau (BoundedStaleness)
  // Sync and stale modes: a pull (or declare) waiting for other workers' pushes (or worker 0's
  // values) longer than this is refused with DEADLINE_EXCEEDED naming the workers it waits for:
  // they are lost (their host died or was cut off) or stalled. 0: wait as long as the call's
  // deadline. --worker-timeout SECONDS.
  double worker_timeout_seconds = 60;
  Aggregation aggregation = Aggregation::Mean;
  std::string optimizer = "sgd";          // or "sum"
  optim::OptionMap optimizer_options;     // e.g. {"lr", "0.01"}
  TlsConfig tls;
  std::string token_file;                 // empty: no token required
  std::string checkpoint_uri;             // empty: no checkpoints
  std::int64_t checkpoint_every_steps = 0;
  double checkpoint_every_seconds = 0;
  std::uint64_t max_request_bytes = std::uint64_t{16} << 30;  // larger declared sizes are refused
  LogLevel log_level = LogLevel::Info;

  // Parses ronde-ps-server's command line; Error(InvalidArgument) naming a bad flag or value.
  // --help is handled by the tool (help_text()).
  static ServerOptions parse(int argc, const char* const* argv);
  static std::string help_text();
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // shutdown(false) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Restores the latest checkpoint (if any), binds, starts serving. Errors: bad TLS files, address
  // in use, a checkpoint for another server count.
  void start();
  int port() const;  // the bound port (after start)
  // Blocks until shutdown() has completed.
  void wait();
  // Stops accepting calls, lets calls in flight finish (calls waiting for other workers are
  // cancelled with UNAVAILABLE), writes a final checkpoint when `checkpoint` and checkpointing is
  // on, and returns. Safe to call from another thread (e.g. a signal watcher), once or more.
  void shutdown(bool checkpoint = true);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ronde::ps
