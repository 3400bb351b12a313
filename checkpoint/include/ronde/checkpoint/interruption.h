// Noticing that the job is about to be stopped: SIGTERM/SIGINT and the EC2 spot notice.
//
//   ronde::checkpoint::InterruptionWatcher watcher(InterruptionOptions::from_env());
//   for (...; ...; ++step) {
//     train_one_step();
//     if (watcher.interrupted()) { save_final_checkpoint_before(watcher.deadline()); return 0; }
//   }
//
// Spot capacity and SageMaker stop a job with SIGTERM and kill it about 120 s later; EC2 also posts
// a spot notice about two minutes ahead in the instance metadata. The watcher turns both into one
// flag that the training loop polls between steps, where saving is safe.
//
// Contract of the signal handlers:
//  - While at least one watcher with handle_signals exists, SIGTERM and SIGINT are caught by a
//    handler that only records the signal number and the time in lock-free atomics: no I/O, no
//    allocation, no locks (async-signal-safe). The previous dispositions are restored when the
//    last such watcher is destroyed. Signal dispositions are process-wide, so this registration
//    is the one piece of process-wide state: watchers share it and count their users.
//  - Because the handler is installed explicitly, the signals are caught also when the process is
//    PID 1 in a container (where the kernel drops signals whose disposition is the default).
//  - A second SIGINT while the first has not been acted on restores the default disposition and
//    re-raises, so that pressing Ctrl-C twice still stops a program that never polls the flag
//    (as PID 1 the default is to ignore it). A repeated SIGTERM only keeps the flag raised.
//  - A watcher reports signals received after it was created (and any raise() on it).
//
// The spot notice poller (optional, off unless configured) is a background thread that asks the
// instance metadata service every `interval`: PUT /latest/api/token (IMDSv2), then
// GET /latest/meta-data/spot/instance-action with the token. 404 means no notice; 200 with
// {"action": "terminate"|"stop"|"hibernate", "time": "..."} raises the flag with the action and
// time as the reason. An unreachable or failing endpoint is logged once (warn) and polled again
// quietly; it never throws into the program and never delays the destructor by more than one
// request timeout.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ronde/core/env.h"
#include "ronde/core/logging.h"

namespace ronde::checkpoint {

namespace detail {
class SignalRegistration;  // src/ckpt/signal_flag.h
class SpotNoticePoller;    // src/ckpt/spot_notice.h
struct InterruptionState;  // src/ckpt/interruption_state.h
}  // namespace detail

struct SpotNoticeOptions {
  // Poll at all. Set by from_env when RONDE_SPOT_NOTICE_ENDPOINT or RONDE_SPOT_POLL_SECONDS is set
  // (the latter to a value > 0).
  bool enabled = false;
  // Base URL of the instance metadata service. RONDE_SPOT_NOTICE_ENDPOINT.
  std::string endpoint = "http://169.254.169.254";
  // Time between polls. RONDE_SPOT_POLL_SECONDS (fractions allowed: "0.5").
  std::chrono::milliseconds interval{5000};
  // Bound on one request, connection included (IMDS answers in microseconds when present).
  std::chrono::milliseconds request_timeout{1000};
};

struct InterruptionOptions {
  // Catch SIGTERM and SIGINT (see the contract above).
  bool handle_signals = true;
  SpotNoticeOptions spot_notice;
  // Time from the interruption to the forced kill that a final save must fit in; deadline() adds
  // it to the moment of interruption. RONDE_TERMINATION_GRACE_S (default 110: the platforms kill
  // about 120 s after SIGTERM, minus a margin for exiting).
  std::chrono::milliseconds termination_grace{110'000};

  // Defaults overridden by RONDE_SPOT_NOTICE_ENDPOINT, RONDE_SPOT_POLL_SECONDS and
  // RONDE_TERMINATION_GRACE_S of `env`; a malformed or negative value is Error(InvalidArgument)
  // naming the variable.
  static InterruptionOptions from_env(const Environment& env = Environment::process());
};

enum class InterruptionSource { None, Signal, SpotNotice, Requested };

class InterruptionWatcher {
 public:
  // Installs the handlers and starts the poller as the options say. `logger` receives the
  // poller's messages and one warn line when the interruption is first noticed.
  explicit InterruptionWatcher(InterruptionOptions options = {}, Logger logger = Logger());
  ~InterruptionWatcher();
  InterruptionWatcher(const InterruptionWatcher&) = delete;
  InterruptionWatcher& operator=(const InterruptionWatcher&) = delete;

  // True once a signal arrived, the spot notice appeared or request() was called. Cheap (a few
  // atomic loads): call it every step.
  bool interrupted() const noexcept;
  // What interrupted first; None while not interrupted.
  InterruptionSource source() const noexcept;
  // The signal number (SIGTERM, SIGINT) when source() is Signal; 0 otherwise.
  int signal_number() const noexcept;
  // Readable cause: "signal SIGTERM", "EC2 spot notice: terminate at 2024-11-24T22:22:00Z",
  // "requested: <reason>"; empty while not interrupted.
  std::string reason() const;
  // When the interruption was noticed (steady clock); nullopt while not interrupted.
  std::optional<std::chrono::steady_clock::time_point> interrupted_at() const noexcept;
  // interrupted_at() + termination_grace: when a final save must be done by.
  std::optional<std::chrono::steady_clock::time_point> deadline() const noexcept;

  // Raises the flag from the program itself (another notice source, a test).
  void request(std::string_view reason);

  const InterruptionOptions& options() const { return options_; }

 private:
  InterruptionOptions options_;
  std::shared_ptr<detail::InterruptionState> state_;  // shared with the poller thread
  std::unique_ptr<detail::SignalRegistration> signals_;
  std::unique_ptr<detail::SpotNoticePoller> poller_;
};

}  // namespace ronde::checkpoint
