// The client's connection to one parameter server: its LINKS (ClientOptions::connections gRPC
// channels, each its own TCP connection, reused by every call; calls take them in turn), the
// server's identity and incarnation, the retry loop, and exactly-once delivery of pushes across the
// server's restarts. Several TCP connections, because one connection's bytes are encrypted,
// decrypted and copied by one thread at a time on each end: with TLS that thread, not the network,
// bounds a single connection's throughput.
//
// HOW A RESTART IS HANDLED. Every call first passes the GATE: while the connection is trusted (the
// last check asked the server's Status over every link and saw the incarnation we know on each, and
// every link has stayed READY since) calls go straight through. An UNAVAILABLE reply, a reply from
// another incarnation, or a link that left READY (a dropped connection: the server may have been
// replaced) makes the connection SUSPECT; the next call through the gate then checks again (one
// caller does; the others wait for its outcome). A changed incarnation means the server
// restarted from its last committed checkpoint: before anything else is sent to it, the
// remembered Declares are sent again (a checkpoint older than a declaration does not know the
// tensor) and the retained pushes (those acknowledged but not yet reported durable:
// retained_log.h) are replayed in order, over the first link; the server drops those its
// checkpoint already holds, by sequence. Only then is the new incarnation trusted and the waiting
// calls proceed. A push acknowledged by an incarnation other than the trusted one
// is sent again after the gate (the server deduplicates it), so an acknowledgement that raced with
// a replay is never lost.
//
// DEADLINES. The Status check and the replay run within the deadline of the attempt that found the
// connection suspect (each replayed call also within its own ordinary timeout), and the calls
// waiting at the gate wait at most until their own attempts' deadlines. A replay that does not
// finish in time ends with DEADLINE_EXCEEDED: the attempt that ran it, and the waiting ones whose
// deadlines have passed, fail with Error(Timeout) naming the server; a waiting call with time left
// verifies (and replays) again itself. Nothing waits without a deadline. A replay that ran out of
// time is RESUMED by the next one to the same incarnation: the Declares and pushes that
// incarnation acknowledged are remembered and not sent again, so a replay longer than one deadline
// completes over several attempts instead of restarting from the first push each time.
//
// A restarted server can only be reached over a new connection, and the gate lets a call through
// without a Status check only while every link is READY on the connection that check used, so a
// push reaches a restarted server before its replay only if the old connection dropped and a new
// one opened in the instant between the gate's check and the call's start. Such an EARLY PUSH is
// refused by the server with ABORTED, because it names a previous sequence the server has not
// taken (server/sequence_gap.h): push() then marks the connection suspect and sends it again
// through the gate, which replays first. Taking it would have raised the worker's last sequence
// past the lost pushes, and their replay would have been dropped as duplicates. A second refusal
// under the same trusted incarnation, with a verification in between, means a gap the replay
// could not fill: pushes no longer retained (the log overflowed). The push is then sent with
// gap_allowed after a warning saying they are lost. Replayed pushes are sent with gap_allowed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "client/calls.h"
#include "client/push_record.h"
#include "client/retained_log.h"
#include "ronde/core/logging.h"
#include "ronde/ps/client.h"
#include "ronde_ps.grpc.pb.h"

namespace ronde::ps::client {

// Most bytes of retained pushes kept per server (retained_log.h states what happens beyond).
inline constexpr std::size_t kMaxRetainedBytesPerServer = std::size_t{2} << 30;

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  // `options` and `log` must outlive the connection. The links are created here; nothing is sent.
  Connection(std::uint32_t index, const ClientOptions& options, const Logger& log);
  ~Connection();

  const std::string& address() const { return address_; }
  std::uint32_t index() const { return index_; }

  // First contact: Status, retried like any call, checked against this server's position in the
  // list and the worker count: Error(InvalidArgument) naming the server when they disagree.
  v1::StatusReply connect();
  // The last Status reply of the trusted incarnation.
  v1::StatusReply status() const;
  // The trusted incarnation ("" before connect()).
  std::string trusted_incarnation() const;

  // One attempt of a call on a prepared context (deadline and token set); it reports the
  // incarnation its reply named ("" when the reply names none).
  using Attempt = std::function<grpc::Status(Stub& stub, grpc::ClientContext& context, std::string& incarnation)>;
  // Runs attempts through the gate until one succeeds against the trusted incarnation, retrying
  // UNAVAILABLE within the retry budget; otherwise throws the ronde::Error for the last status,
  // naming `what` and the server. Each attempt, its passage through the gate (a Status check, a
  // replay) included, gets `timeout` as its deadline.
  void call(const std::string& what, std::chrono::milliseconds timeout, const Attempt& attempt);

  // Pushes `record` (which must stay valid until this returns) exactly once: retried with its own
  // sequence, retained after its acknowledgement while the server checkpoints. Returns the reply.
  // Deadlines and failures as call().
  v1::PushReply push(const PushRecord& record, std::chrono::milliseconds timeout);

  // Remembers a successful Declare (by tensor and partition) for replays after restarts.
  void remember_declare(const v1::DeclareRequest& request);

  // Retained pushes now (for tests and logs).
  std::size_t retained_count() const;

 private:
  // A context whose deadline is `deadline`, with the token.
  std::unique_ptr<grpc::ClientContext> new_context(Clock::time_point deadline) const;
  // The stub of the link whose turn it is.
  Stub& next_stub();
  bool every_link_ready() const;
  // The server's Status over every link: UNAVAILABLE when two links reached different incarnations
  // (the server restarted during the check).
  grpc::Status status_over_every_link(Clock::time_point deadline, v1::StatusReply& reply);
  // OK when calls may proceed; else the status of the failed Status check or replay, or
  // DEADLINE_EXCEEDED when `deadline` (the attempt's) passed while waiting for another thread's.
  grpc::Status pass_gate(Clock::time_point deadline);
  // Status, and a replay when the incarnation changed, all before `deadline`. Runs on one thread at
  // a time.
  grpc::Status verify(Clock::time_point deadline);
  grpc::Status replay(const v1::StatusReply& restarted, Clock::time_point deadline);
  void check_identity(const v1::StatusReply& reply) const;
  void mark_suspect();
  void suspect_locked();  // mark_suspect with mutex_ held
  // Records an acknowledged push: OK, UNAVAILABLE when another incarnation acknowledged it (send it
  // again), DEADLINE_EXCEEDED when `deadline` passed waiting for a verification in progress.
  grpc::Status acknowledged(const PushRecord& record, const v1::PushReply& reply, Clock::time_point deadline);
  [[noreturn]] void fail(const grpc::Status& status, const std::string& what, int attempts) const;

  const std::uint32_t index_;
  const std::string address_;
  const ClientOptions& options_;
  const Logger& log_;
  // One gRPC channel (its own TCP connection: each channel has a local subchannel pool) and the
  // stub that calls over it.
  struct Link {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<Stub> stub;
  };
  std::vector<Link> links_;
  std::atomic<std::size_t> next_link_{0};

  mutable std::mutex mutex_;
  std::condition_variable verified_;   // a verification ended
  bool suspect_ = true;                // the next call must verify first (true until connect())
  std::uint64_t suspicions_ = 0;       // times suspect_ was set: a verification clears it only if
                                       // none was set while it ran
  bool verifying_ = false;             // a thread is verifying now
  std::uint64_t verification_ = 0;     // verifications ended so far
  grpc::Status last_verification_;    // the outcome of the last one
  std::string incarnation_;            // the trusted incarnation ("" before connect())
  v1::StatusReply status_;
  RetainedLog retained_{kMaxRetainedBytesPerServer};
  bool warned_retention_ = false;
  std::map<std::pair<std::string, std::uint32_t>, v1::DeclareRequest> declares_;
  // A replay's progress: the incarnation it replays to and what that incarnation acknowledged so
  // far (cleared when a replay completes or the incarnation changes).
  std::string replay_incarnation_;
  std::set<std::pair<std::string, std::uint32_t>> replayed_declares_;
  std::set<std::shared_ptr<const PushRecord>> replayed_pushes_;
};

}  // namespace ronde::ps::client
