#include "ckpt/signal_flag.h"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {

namespace {

constexpr int kSignals[] = {SIGTERM, SIGINT};

// What the handler writes. Lock-free atomics are the only objects a handler may touch.
std::atomic<std::uint64_t> caught_count{0};     // signals caught since the process started
std::atomic<int> last_number{0};
std::atomic<std::int64_t> last_when_ns{0};      // CLOCK_MONOTONIC, the clock of steady_clock
std::atomic<int> sigint_count{0};               // SIGINTs since the handler was installed
static_assert(std::atomic<std::uint64_t>::is_always_lock_free && std::atomic<std::int64_t>::is_always_lock_free &&
              std::atomic<int>::is_always_lock_free);

// Installation bookkeeping, touched only outside signal handlers, under registry_mutex().
struct Registry {
  int users = 0;
  struct sigaction previous[std::size(kSignals)] = {};
};

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

Registry& registry() {
  static Registry instance;
  return instance;
}

extern "C" void on_signal(int number) {
  const int saved_errno = errno;  // clock_gettime must not disturb the interrupted code's errno
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  last_when_ns.store(std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec, std::memory_order_relaxed);
  last_number.store(number, std::memory_order_relaxed);
  caught_count.fetch_add(1, std::memory_order_release);
  if (number == SIGINT && sigint_count.fetch_add(1, std::memory_order_relaxed) >= 1) {
    // Ctrl-C twice: stop as if nobody had caught it (sigaction and raise are async-signal-safe).
    struct sigaction default_action = {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(SIGINT, &default_action, nullptr);
    raise(SIGINT);
  }
  errno = saved_errno;
}

void install(Registry& r) {
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int number : kSignals) sigaddset(&action.sa_mask, number);  // one handler run at a time
  action.sa_flags = SA_RESTART;  // the interrupted training code's system calls just continue
  sigint_count.store(0, std::memory_order_relaxed);
  for (std::size_t i = 0; i < std::size(kSignals); ++i) {
    if (sigaction(kSignals[i], &action, &r.previous[i]) != 0) {
      const std::string why = std::strerror(errno);
      for (std::size_t j = 0; j < i; ++j) sigaction(kSignals[j], &r.previous[j], nullptr);
      throw Error(ErrorCode::Internal, "sigaction(" + std::string(sigabbrev_np(kSignals[i])) + ") failed: " + why);
    }
  }
}

void restore(const Registry& r) {
  for (std::size_t i = 0; i < std::size(kSignals); ++i) {
    struct sigaction current = {};
    if (sigaction(kSignals[i], nullptr, &current) != 0) continue;
    const bool ours = (current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == on_signal;
    if (ours) sigaction(kSignals[i], &r.previous[i], nullptr);
  }
}

}  // namespace

SignalRegistration::SignalRegistration() {
  std::lock_guard lock(registry_mutex());
  Registry& r = registry();
  if (r.users == 0) install(r);
  ++r.users;
  base_ = caught_count.load(std::memory_order_acquire);
}

SignalRegistration::~SignalRegistration() {
  std::lock_guard lock(registry_mutex());
  Registry& r = registry();
  if (--r.users == 0) restore(r);
}

void keep_caught_until_exit() {
  std::lock_guard lock(registry_mutex());
  Registry& r = registry();
  static bool kept = false;  // under registry_mutex(): one permanent registration per process
  if (kept) return;
  if (r.users == 0) install(r);
  ++r.users;
  kept = true;
}

CaughtSignal SignalRegistration::caught() const noexcept {
  if (caught_count.load(std::memory_order_acquire) == base_) return {};
  const std::int64_t when = last_when_ns.load(std::memory_order_relaxed);
  return {last_number.load(std::memory_order_relaxed),
          std::chrono::steady_clock::time_point(std::chrono::nanoseconds(when))};
}

}  // namespace ronde::checkpoint::detail
