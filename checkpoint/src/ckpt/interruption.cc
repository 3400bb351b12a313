// InterruptionWatcher: the latch (interruption_state.h) fed by the signal registration
// (signal_flag.h), the spot notice poller (spot_notice.h) and request().
#include "ronde/checkpoint/interruption.h"

#include <signal.h>
#include <string.h>

#include "ckpt/interruption_state.h"
#include "ckpt/signal_flag.h"
#include "ckpt/spot_notice.h"

namespace ronde::checkpoint {

InterruptionWatcher::InterruptionWatcher(InterruptionOptions options, Logger logger)
    : options_(std::move(options)), state_(std::make_shared<detail::InterruptionState>(logger)) {
  if (options_.handle_signals) signals_ = std::make_unique<detail::SignalRegistration>();
  if (options_.spot_notice.enabled) {
    // The poller holds the state, not the watcher, so a notice arriving during destruction is safe.
    poller_ = std::make_unique<detail::SpotNoticePoller>(
        options_.spot_notice, std::move(logger), [state = state_](std::string reason) {
          state->latch(InterruptionSource::SpotNotice, 0, std::chrono::steady_clock::now(), std::move(reason));
        });
  }
}

InterruptionWatcher::~InterruptionWatcher() = default;

bool InterruptionWatcher::interrupted() const noexcept {
  if (state_->latched.load(std::memory_order_acquire)) return true;
  if (!signals_) return false;
  const detail::CaughtSignal caught = signals_->caught();
  if (caught.number == 0) return false;
  // First seen here: record it (the handler itself may not lock or allocate).
  const char* name = sigabbrev_np(caught.number);
  state_->latch(InterruptionSource::Signal, caught.number, caught.when,
                name != nullptr ? "signal SIG" + std::string(name) : "signal " + std::to_string(caught.number));
  return true;
}

InterruptionSource InterruptionWatcher::source() const noexcept {
  if (!interrupted()) return InterruptionSource::None;
  std::lock_guard lock(state_->mutex);
  return state_->first_source;
}

int InterruptionWatcher::signal_number() const noexcept {
  if (!interrupted()) return 0;
  std::lock_guard lock(state_->mutex);
  return state_->first_signal;
}

std::string InterruptionWatcher::reason() const {
  if (!interrupted()) return {};
  std::lock_guard lock(state_->mutex);
  return state_->first_reason;
}

std::optional<std::chrono::steady_clock::time_point> InterruptionWatcher::interrupted_at() const noexcept {
  if (!interrupted()) return std::nullopt;
  std::lock_guard lock(state_->mutex);
  return state_->first_when;
}

std::optional<std::chrono::steady_clock::time_point> InterruptionWatcher::deadline() const noexcept {
  const auto at = interrupted_at();
  if (!at) return std::nullopt;
  return *at + options_.termination_grace;
}

void InterruptionWatcher::request(std::string_view reason) {
  state_->latch(InterruptionSource::Requested, 0, std::chrono::steady_clock::now(), "requested: " + std::string(reason));
}

}  // namespace ronde::checkpoint
