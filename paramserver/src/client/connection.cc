#include "client/connection.h"

#include <optional>

#include <algorithm>
#include <string>
#include <utility>

#include "client/retry.h"
#include "common/wire.h"
#include "ronde/core/error.h"
#include "security/credentials.h"

namespace ronde::ps::client {
namespace {

// Keepalive pings while calls are in flight (a sync pull may wait for minutes with no data): a
// peer that vanished without closing the connection is noticed within about 40 s. ronde-ps-server
// accepts pings every 5 s and more (GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS).
constexpr int kKeepaliveTimeMs = 30'000;
constexpr int kKeepaliveTimeoutMs = 10'000;
constexpr int kMinConnectTimeoutMs = 5'000;
constexpr int kMinResolutionIntervalMs = 100;

std::shared_ptr<grpc::Channel> make_channel(const std::string& address, const ClientOptions& options) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(wire::kMaxMessageBytes);
  arguments.SetMaxSendMessageSize(wire::kMaxMessageBytes);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Reconnect as eagerly as the client retries, so a restarted server is found within a backoff.
  // (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is really the shortest time one connection attempt may take,
  // handshakes included: keep it generous, or a busy machine fails attempts that would succeed.)
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, static_cast<int>(options.initial_backoff.count()));
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(options.max_backoff.count()));
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kMinConnectTimeoutMs);
  // A failed connection makes the channel re-resolve the server's name before reconnecting, and
  // gRPC's default allows one resolution per 30 s: a restarted server would stay unreachable for
  // that long (beyond a typical retry budget).
  arguments.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, kMinResolutionIntervalMs);
  // This client's own connections: several Clients in one process (workers as threads) must not
  // share (and so fail, or be cut) together through gRPC's process-wide subchannel pool.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto credentials = security::channel_credentials(options.tls, options.token, arguments);
  return grpc::CreateCustomChannel(address, credentials, arguments);
}

std::string short_id(const std::string& incarnation) { return incarnation.empty() ? "(none)" : incarnation; }

// The earlier of `deadline` and `timeout` from now.
Connection::Clock::time_point within(std::chrono::milliseconds timeout, Connection::Clock::time_point deadline) {
  return std::min(Connection::Clock::now() + timeout, deadline);
}

grpc::Status deadline_exceeded(const std::string& what) {
  return {grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed while " + what};
}

}  // namespace

Connection::Connection(std::uint32_t index, const ClientOptions& options, const Logger& log)
    : index_(index),
      address_(options.servers.at(index)),
      options_(options),
      log_(log) {
  for (int i = 0; i < options.connections; ++i) {
    auto channel = make_channel(address_, options);
    auto stub = std::make_unique<Stub>(channel);
    links_.push_back({std::move(channel), std::move(stub)});
  }
}

Connection::~Connection() = default;

std::unique_ptr<grpc::ClientContext> Connection::new_context(Clock::time_point deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + (deadline - Clock::now()));
  security::add_call_token(*context, options_.tls, options_.token);
  return context;
}

Stub& Connection::next_stub() { return *links_[next_link_++ % links_.size()].stub; }

bool Connection::every_link_ready() const {
  return std::all_of(links_.begin(), links_.end(),
                     [](const Link& link) { return link.channel->GetState(false) == GRPC_CHANNEL_READY; });
}

v1::StatusReply Connection::connect() {
  Backoff backoff(options_.initial_backoff, options_.max_backoff, options_.retry_budget);
  for (;;) {
    const grpc::Status status = pass_gate(Clock::now() + options_.call_timeout);
    if (status.ok()) return this->status();
    if (!is_retryable(status) || !backoff.wait()) fail(status, "Status", backoff.failures());
    mark_suspect();
  }
}

std::string Connection::trusted_incarnation() const {
  std::lock_guard lock(mutex_);
  return incarnation_;
}

v1::StatusReply Connection::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::size_t Connection::retained_count() const {
  std::lock_guard lock(mutex_);
  return retained_.size();
}

void Connection::mark_suspect() {
  std::lock_guard lock(mutex_);
  suspect_locked();
}

void Connection::suspect_locked() {
  suspect_ = true;
  ++suspicions_;
}

void Connection::remember_declare(const v1::DeclareRequest& request) {
  std::lock_guard lock(mutex_);
  declares_[{request.tensor(), request.partition()}] = request;
}

grpc::Status Connection::pass_gate(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!suspect_ && !verifying_ && every_link_ready()) return grpc::Status::OK;
    if (verifying_) {
      // Wait (until this attempt's deadline) for the verification in progress and share its
      // outcome: a failure sends every waiter back to its own backoff rather than into a second
      // Status call at once, except a verification that ran out of time, which a waiter with time
      // left takes over.
      const std::uint64_t round = verification_;
      if (!verified_.wait_until(lock, deadline, [&] { return verification_ != round; })) {
        return deadline_exceeded("waiting for another call's check of the server (and its replay of up to " +
                                 std::to_string(retained_.size()) + " retained pushes after a restart)");
      }
      const bool out_of_time = last_verification_.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      if (!last_verification_.ok() && !(out_of_time && Clock::now() < deadline)) return last_verification_;
      continue;
    }
    verifying_ = true;
    const std::uint64_t suspicions = suspicions_;
    lock.unlock();
    grpc::Status outcome;
    std::exception_ptr error;
    try {
      outcome = verify(deadline);
    } catch (const Error& failure) {
      error = std::current_exception();
      outcome = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, failure.message());
    } catch (const std::exception& failure) {
      error = std::current_exception();
      outcome = grpc::Status(grpc::StatusCode::INTERNAL, failure.what());
    }
    lock.lock();
    verifying_ = false;
    ++verification_;
    last_verification_ = outcome;
    // A call that failed while this verification ran (it had passed the gate before) may have seen
    // the connection drop after the Status check: then the next call verifies again.
    if (outcome.ok() && suspicions_ == suspicions) suspect_ = false;
    verified_.notify_all();
    if (error) std::rethrow_exception(error);
    return outcome;
  }
}

void Connection::check_identity(const v1::StatusReply& reply) const {
  const auto servers = static_cast<std::uint32_t>(options_.servers.size());
  if (reply.shard() != index_ || reply.shard_count() != servers) {
    throw Error(ErrorCode::InvalidArgument,
                "parameter server " + address_ + " is shard " + std::to_string(reply.shard()) + " of " +
                    std::to_string(reply.shard_count()) + ", but the client's server list has it as shard " +
                    std::to_string(index_) + " of " + std::to_string(servers));
  }
  if (reply.workers() != options_.workers) {
    throw Error(ErrorCode::InvalidArgument, "parameter server " + address_ + " expects " +
                                                std::to_string(reply.workers()) + " workers, but this client says " +
                                                std::to_string(options_.workers));
  }
  std::lock_guard lock(mutex_);
  if (!incarnation_.empty() && reply.mode() != status_.mode()) {
    throw Error(ErrorCode::InvalidArgument,
                "parameter server " + address_ + " restarted in consistency mode " +
                    std::string(to_string(wire::from_proto(reply.mode()))) + ", but it was in mode " +
                    std::string(to_string(wire::from_proto(status_.mode()))) + " before");
  }
}

grpc::Status Connection::status_over_every_link(Clock::time_point deadline, v1::StatusReply& reply) {
  for (std::size_t i = 0; i < links_.size(); ++i) {
    v1::StatusReply link_reply;
    auto context = new_context(within(options_.call_timeout, deadline));
    const grpc::Status status = links_[i].stub->generated().Status(context.get(), v1::StatusRequest{}, &link_reply);
    if (!status.ok()) return status;
    if (i == 0) {
      reply = std::move(link_reply);
    } else if (link_reply.incarnation() != reply.incarnation()) {
      return {grpc::StatusCode::UNAVAILABLE, "the server restarted while its connections were checked"};
    }
  }
  return grpc::Status::OK;
}

grpc::Status Connection::verify(Clock::time_point deadline) {
  v1::StatusReply reply;
  if (grpc::Status status = status_over_every_link(deadline, reply); !status.ok()) return status;
  check_identity(reply);
  std::string previous;
  {
    std::lock_guard lock(mutex_);
    previous = incarnation_;
    if (reply.incarnation() == incarnation_) {
      status_ = reply;
      return grpc::Status::OK;
    }
  }
  if (!previous.empty() && !reply.checkpointing()) {
    // Nothing to restore from, so nothing to replay onto: the server starts empty, and calls about
    // tensors it no longer knows fail naming them (a job recovers by starting over: new Clients).
    log_.warn("parameter server ", address_, " restarted (incarnation ", short_id(previous), " -> ",
              short_id(reply.incarnation()), ") without checkpoints: the state it held is lost");
    std::lock_guard lock(mutex_);
    retained_ = RetainedLog(kMaxRetainedBytesPerServer);
    declares_.clear();
  } else {
    if (!previous.empty()) {
      log_.warn("parameter server ", address_, " restarted (incarnation ", short_id(previous), " -> ",
                short_id(reply.incarnation()), "): replaying ", retained_count(), " pushes it may not have");
    }
    if (grpc::Status status = replay(reply, deadline); !status.ok()) return status;
  }
  std::lock_guard lock(mutex_);
  incarnation_ = reply.incarnation();
  status_ = reply;
  return grpc::Status::OK;
}

grpc::Status Connection::replay(const v1::StatusReply& restarted, Clock::time_point deadline) {
  const std::string& incarnation = restarted.incarnation();
  std::vector<v1::DeclareRequest> declares;
  std::vector<std::shared_ptr<const PushRecord>> records;
  std::size_t done = 0;  // acknowledged by earlier attempts of this replay
  {
    std::lock_guard lock(mutex_);
    if (replay_incarnation_ != incarnation) {  // a new replay, not the resumption of one
      replay_incarnation_ = incarnation;
      replayed_declares_.clear();
      replayed_pushes_.clear();
    }
    done = replayed_declares_.size() + replayed_pushes_.size();
    for (const auto& [key, request] : declares_) {
      if (!replayed_declares_.contains(key)) declares.push_back(request);
    }
    for (auto& record : retained_.in_replay_order()) {
      if (!replayed_pushes_.contains(record)) records.push_back(std::move(record));
    }
  }
  if (done > 0) {
    log_.warn("resuming the replay to parameter server ", address_, " (incarnation ", short_id(incarnation), "): ",
              declares.size(), " declares and ", records.size(), " pushes left, ", done, " acknowledged before");
  }
  auto annotate = [&](const grpc::Status& status, const std::string& what) {
    return grpc::Status(status.error_code(),
                        "replaying " + what + " to the restarted server: " + status.error_message());
  };
  const auto restarted_again = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server restarted again during a replay");
  for (const auto& request : declares) {
    auto context = new_context(within(options_.call_timeout, deadline));
    v1::DeclareReply reply;
    const grpc::Status status = links_.front().stub->generated().Declare(context.get(), request, &reply);
    if (!status.ok()) return annotate(status, "the Declare of '" + request.tensor() + "'");
    if (reply.incarnation() != incarnation) return restarted_again;
    std::lock_guard lock(mutex_);
    replayed_declares_.insert({request.tensor(), request.partition()});
  }
  // Each push within its ordinary timeout: sync pushes of a later step wait for the other workers'
  // replays of the earlier ones.
  const auto timeout = restarted.mode() == v1::SYNC ? options_.wait_timeout : options_.call_timeout;
  for (const auto& record : records) {
    auto context = new_context(within(timeout, deadline));
    v1::PushReply reply;
    // Gap allowed: the pushes before the first replayed one of each stream are in the server's
    // checkpoint, or were dropped from the retained log (its overflow warning said so).
    const grpc::Status status =
        push_once(*links_.front().stub, *context, *record, options_.chunk_bytes, /*gap_allowed=*/true, reply);
    if (!status.ok()) return annotate(status, record->describe());
    if (reply.incarnation() != incarnation) return restarted_again;
    std::lock_guard lock(mutex_);
    replayed_pushes_.insert(record);
    retained_.trim(*record, reply.durable_sequence());
  }
  std::lock_guard lock(mutex_);
  replay_incarnation_.clear();
  replayed_declares_.clear();
  replayed_pushes_.clear();
  return grpc::Status::OK;
}

void Connection::call(const std::string& what, std::chrono::milliseconds timeout, const Attempt& attempt) {
  Backoff backoff(options_.initial_backoff, options_.max_backoff, options_.retry_budget);
  for (;;) {
    const auto deadline = Clock::now() + timeout;
    grpc::Status status = pass_gate(deadline);
    if (status.ok()) {
      auto context = new_context(deadline);
      std::string incarnation;
      status = attempt(next_stub(), *context, incarnation);
      if (status.ok()) {
        std::lock_guard lock(mutex_);
        if (incarnation.empty() || incarnation == incarnation_) return;
        status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the reply came from another server incarnation");
      }
    }
    if (!is_retryable(status)) fail(status, what, backoff.failures() + 1);
    mark_suspect();
    if (!backoff.wait()) fail(status, what, backoff.failures());
  }
}

grpc::Status Connection::acknowledged(const PushRecord& record, const v1::PushReply& reply, Clock::time_point deadline) {
  const grpc::Status again(grpc::StatusCode::UNAVAILABLE, "acknowledged by another server incarnation");
  std::shared_ptr<const PushRecord> copy;
  {
    std::lock_guard lock(mutex_);
    if (reply.incarnation() != incarnation_) {
      suspect_locked();
      return again;
    }
    if (!status_.checkpointing()) return grpc::Status::OK;
  }
  copy = record.owned();  // outside the lock: this copies the pushed bytes
  std::unique_lock lock(mutex_);
  // A verification in progress may be replaying to a restarted server from a snapshot of the
  // retained pushes taken before this one is added: wait for its outcome, so that a push the old
  // incarnation acknowledged is either in that replay or (incarnation changed) sent again.
  if (!verified_.wait_until(lock, deadline, [&] { return !verifying_; })) {
    // Unknown whether the restarted server has it: the push fails (client.h, FAILED PUSHES).
    return deadline_exceeded("waiting for a replay to the restarted server after " + record.describe() +
                             " was acknowledged by the previous server process");
  }
  if (reply.incarnation() != incarnation_) {  // a replay ran meanwhile: send it again
    suspect_locked();
    return again;
  }
  if (!retained_.add(std::move(copy)) && !warned_retention_) {
    warned_retention_ = true;
    log_.warn("parameter server ", address_, ": more than ", kMaxRetainedBytesPerServer >> 20,
              " MiB of pushes await its next checkpoint; the oldest are no longer kept, so a restart of this "
              "server before that checkpoint may lose them");
  }
  retained_.trim(record, reply.durable_sequence());
  return grpc::Status::OK;
}

v1::PushReply Connection::push(const PushRecord& record, std::chrono::milliseconds timeout) {
  Backoff backoff(options_.initial_backoff, options_.max_backoff, options_.retry_budget);
  // Sequence gaps (server/sequence_gap.h): the server restarted without this worker's earlier
  // pushes. The first refusal makes the connection verify the server, which replays what it
  // retained, and the push is sent again. Only a second refusal under the same trusted
  // incarnation, with that verification in between, means the replay could not fill the gap: the
  // pushes it lacks are no longer retained, so they are lost; the push then goes with gap_allowed.
  bool gap_allowed = false;
  std::optional<std::string> gap_under;  // the trusted incarnation when the last gap was refused
  for (;;) {
    const auto deadline = Clock::now() + timeout;
    grpc::Status status = pass_gate(deadline);
    if (status.ok()) {
      auto context = new_context(deadline);
      v1::PushReply reply;
      status = push_once(next_stub(), *context, record, options_.chunk_bytes, gap_allowed, reply);
      if (status.ok()) {
        status = acknowledged(record, reply, deadline);
        if (status.ok()) return reply;
      }
    }
    if (status.error_code() == grpc::StatusCode::ABORTED && !gap_allowed) {
      const std::string trusted = trusted_incarnation();
      if (gap_under != trusted) {
        gap_under = trusted;
        mark_suspect();
        continue;
      }
      log_.warn(record.describe(), " on parameter server ", address_, ": ", status.error_message(),
                "; the replay did not fill that gap, so this worker no longer retains the pushes it lacks (see "
                "the warning about retained pushes): they are lost; pushing on without them");
      gap_allowed = true;
      continue;
    }
    gap_allowed = false;  // any other failure: the next attempt checks for gaps afresh
    gap_under.reset();
    if (!is_retryable(status)) fail(status, record.describe(), backoff.failures() + 1);
    mark_suspect();
    if (!backoff.wait()) fail(status, record.describe(), backoff.failures());
  }
}

void Connection::fail(const grpc::Status& status, const std::string& what, int attempts) const {
  if (is_handshake_failure(status)) {
    throw Error(ErrorCode::Unauthenticated, what + " on parameter server " + address_ +
                                                ": the TLS handshake was refused: " + status.error_message());
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    throw Error(ErrorCode::Unavailable,
                what + " on parameter server " + address_ + ": unavailable after " + std::to_string(attempts) +
                    " attempt(s) within the retry budget of " + std::to_string(options_.retry_budget.count()) +
                    " ms: " + status.error_message());
  }
  wire::throw_if_failed(status, address_, what);
  throw Error(ErrorCode::Internal, what + " on parameter server " + address_ + " failed without a status");
}

}  // namespace ronde::ps::client
