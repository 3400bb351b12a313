// The latch behind InterruptionWatcher: the first interruption noticed (signal, spot notice or a
// request) wins and is kept; later ones change nothing. Shared by the watcher and its poller
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "ronde/checkpoint/interruption.h"
#include "ronde/core/logging.h"

namespace ronde::checkpoint::detail {

struct InterruptionState {
  explicit InterruptionState(Logger log) : logger(std::move(log)) {}

  // Records the interruption unless one is recorded already; returns whether this one was first.
  bool latch(InterruptionSource source, int signal, std::chrono::steady_clock::time_point when, std::string reason) {
    std::lock_guard lock(mutex);
    if (latched.load(std::memory_order_relaxed)) return false;
    first_source = source;
    first_signal = signal;
    first_when = when;
    first_reason = std::move(reason);
    latched.store(true, std::memory_order_release);
    logger.warn("interrupted: ", first_reason);
    return true;
  }

  const Logger logger;
  std::atomic<bool> latched{false};
  // Written once under `mutex` before `latched` is set; read after seeing `latched` (acquire).
  std::mutex mutex;
  InterruptionSource first_source = InterruptionSource::None;
  int first_signal = 0;
  std::chrono::steady_clock::time_point first_when{};
  std::string first_reason;
};

}  // namespace ronde::checkpoint::detail
