// A worker's connection to the parameter servers.
//
//   ronde::ps::Client ps({.servers = {"10.0.0.5:7070", "10.0.0.6:7070"}, .worker = rank, .workers = size,
//                         .tls = ronde::ps::TlsConfig::mutual("ca.pem", "worker.pem", "worker.key"),
//                         .token = ronde::ps::read_token_file("token")});
//   ps.declare("fc1.w", Tensor::of(w)).get();   // worker 0's values win; the others receive them
//   for (...) {
//     compute_gradients();
//     ps.push_pull("fc1.w", Tensor::of(dw), Tensor::of(w)).get();  // push step s, pull step s+1
//   }
//
// Contract:
//  - Every call returns a std::future that is ready when the operation completed on every server
//    involved; get() rethrows its ronde::Error. Tensors passed in must stay valid (and, for pushes,
//    unchanged) until then. Calls may come from several threads.
//  - STEPS ARE IMPLICIT: a tensor's step is the number of pushes this worker has made of it (0 after
//    declare on a new server state; in sync mode, the server's version when declaring against
//    restored state; in async and stale modes, where a version counts every worker's pushes, 0). A
//    pull waits as the server's mode says for the step of the next push: sync, until every worker's
//    push of the previous step is applied; bounded staleness tau, until the slowest worker has pushed
//    step - tau steps; async, not at all.
//  - Pushes of one tensor are sent in order (a push waits for the previous push of the same tensor
//    to be acknowledged); pushes of different tensors proceed concurrently.
//  - FAILED PUSHES: a push (or push_rows, or the push of a push_pull) whose future fails leaves the
//    tensor's step where it was: step(name) is unchanged, and the next push carries the same step
//    (and the same sequences), so the servers accept it whatever the mode. If the failed push did
//    reach a server (its acknowledgement was lost, e.g. Error(Unavailable) or Error(Timeout)), that
//    server takes the next push for a retry of it and keeps the first push's values for the step;
//    otherwise it applies the next push. Either way every step is applied once. (A push_pull whose
//    pushes all succeeded but whose pull failed has advanced the step: pull again.)
//  - EXACTLY ONCE: each push carries (worker, step, sequence); a retried push is deduplicated by the
//    server, which acknowledges only after applying it. UNAVAILABLE is retried with exponential
//    backoff and jitter for up to retry_budget, then the future fails with Error(Unavailable)
//    naming the server. When a server restarts from its checkpoint (its incarnation changes), the
//    client replays the pushes the server acknowledged after its last committed checkpoint (it keeps
//    them until the server reports them durable, at most 2 GiB per server), so no acknowledged
//    update is lost or doubled — provided the client is still alive to see the restart.
//  - DEADLINES: every call attempt has one: call_timeout, or wait_timeout for calls that may wait
//    for other workers. The replay to a restarted server runs within the deadline of the call that
//    found the restart, and the calls to that server waiting for it wait at most until their own
//    deadlines: a replay that cannot finish (e.g. a replayed sync push waiting for a worker that
//    makes no call) fails them with Error(Timeout) naming the server, never a hang. The next call
//    to that server resumes the replay where it stopped (nothing the restarted server acknowledged
//    is sent again), so a replay longer than one deadline still completes over several calls.
//  - Errors: the server's INVALID_ARGUMENT (unknown tensor, dtype or shape mismatch, wrong step,
//    oversized request) is Error(InvalidArgument) with the server's message, which names the tensor
//    and both shapes; UNAUTHENTICATED or a refused TLS handshake is Error(Unauthenticated);
//    DEADLINE_EXCEEDED is Error(Timeout) naming the server and call.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/core/env.h"
#include "ronde/core/tensor.h"
#include "ronde/ps/security.h"
#include "ronde/ps/shard_map.h"

namespace ronde::ps {

enum class Mode { Sync, Async, BoundedStaleness };
// "sync", "async", "stale"; parse_mode throws Error(InvalidArgument) naming anything else.
std::string_view to_string(Mode mode);
Mode parse_mode(std::string_view text);

struct ClientOptions {
  // "host:port" of every server; the position in the list is the server's shard index (checked
  // against each server's own --shard/--shards when the client connects). RONDE_PS_SERVERS
  // (comma-separated).
  std::vector<std::string> servers;
  // This worker's id (0 .. workers-1) and the number of workers. RONDE_PS_WORKER, RONDE_PS_WORKERS;
  // from_env falls back to the process's rank and size (mpirun, torchrun variables).
  std::uint32_t worker = 0;
  std::uint32_t workers = 1;
  TlsConfig tls;  // RONDE_PS_TLS, RONDE_PS_CA, RONDE_PS_CERT, RONDE_PS_KEY
  std::string token;  // empty: none. RONDE_PS_TOKEN_FILE names a file holding it.
  // Dense tensors larger than this are split into partitions (ShardMap). RONDE_PS_PARTITION_BYTES.
  std::size_t partition_bytes = 2 << 20;
  // Bytes per streamed message (at most 4 MiB). With chunk_bytes >= partition_bytes a partition's
  // push is one message, which the server keeps without copying it. RONDE_PS_CHUNK_BYTES.
  std::size_t chunk_bytes = 4 << 20;
  // Deadline of one call that does not wait for other workers. RONDE_PS_CALL_TIMEOUT_S.
  std::chrono::milliseconds call_timeout{60'000};
  // Deadline of a call that waits for other workers (pulls in sync/stale mode, declares waiting for
  // worker 0's values). RONDE_PS_WAIT_TIMEOUT_S.
  std::chrono::milliseconds wait_timeout{600'000};
  // How long UNAVAILABLE is retried before failing. RONDE_PS_RETRY_SECONDS.
  std::chrono::milliseconds retry_budget{30'000};
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2'000};
  // Threads that run calls. RONDE_PS_CLIENT_THREADS.
  int threads = 4;
  // TCP connections to each server; calls take them in turn. One connection's bytes are encrypted
  // and decrypted by one thread at a time on each end, so TLS throughput grows with connections
  // while cores are free. RONDE_PS_CONNECTIONS.
  int connections = 2;

  static ClientOptions from_env(const Environment& env = Environment::process());
};

// Sparse rows: how rows that do not exist yet start.
struct RowOptions {
  enum class Init { Zeros, Uniform };
  Init init = Init::Zeros;
  double init_scale = 0.01;  // Uniform: U(-init_scale, init_scale), seeded by (table, row id)
};

class Client {
 public:
  // Connects to every server and checks its Status (shard index and count, mode); Error(Unavailable)
  // naming a server that cannot be reached within retry_budget, Error(InvalidArgument) naming one
  // whose shard index or count disagrees with `servers`.
  explicit Client(ClientOptions options);
  ~Client();  // waits for calls in flight
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Declares a dense tensor: dtype and shape from `initial`. Worker 0's values are the initial
  // values (pushed once); every worker's future completes when they are set, and other workers'
  // `initial` then holds them. Declaring again with another dtype or shape is Error(InvalidArgument)
  // naming the tensor and both shapes. Sets the tensor's step (see STEPS ARE IMPLICIT).
  std::future<void> declare(std::string name, Tensor initial);
  std::future<void> push(std::string_view name, Tensor gradient);
  std::future<void> pull(std::string_view name, Tensor out);
  // push, then pull the values of the next step into `out` (`gradient` and `out` may not overlap).
  std::future<void> push_pull(std::string_view name, Tensor gradient, Tensor out);

  // A sparse table of rows `row_width` elements wide, keyed by any int64 ids; rows appear when first
  // pulled or pushed. Every worker declares it (with the same dtype, width and options).
  std::future<void> declare_rows(std::string name, DType dtype, std::int64_t row_width, RowOptions options = {});
  // `rows` is ids.size() x row_width; duplicate ids within one push are summed.
  std::future<void> push_rows(std::string_view name, std::span<const std::int64_t> ids, Tensor rows);
  std::future<void> pull_rows(std::string_view name, std::span<const std::int64_t> ids, Tensor out);

  // The number of pushes this worker has made of `name` (its step); Error(NotFound) if undeclared.
  std::int64_t step(std::string_view name) const;
  Mode mode() const;  // the servers' mode
  const ShardMap& shard_map() const;
  const ClientOptions& options() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ronde::ps
