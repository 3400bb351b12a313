// InterruptionWatcher and signals: raise() in-process sets the flag, handlers are restored, a
// second SIGINT stops the process, options come from the environment, and (in the CTest entry
// ronde_checkpoint_pid1) SIGTERM is caught when the process is PID 1 of a PID namespace.
#include "ronde/checkpoint/interruption.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "ronde/core/error.h"

namespace ronde::checkpoint {
namespace {

using namespace std::chrono_literals;

MapEnvironment env(std::map<std::string, std::string, std::less<>> values) { return MapEnvironment(std::move(values)); }

InterruptionOptions signals_only() {
  InterruptionOptions options;
  options.spot_notice.enabled = false;
  return options;
}

// The current handler of `number`.
void (*handler_of(int number))(int) {
  struct sigaction current = {};
  sigaction(number, nullptr, &current);
  return current.sa_handler;
}

std::atomic<int> test_handler_calls{0};
extern "C" void count_signal(int) { test_handler_calls.fetch_add(1); }

// Installs count_signal for the test's duration and puts back what was there.
class ScopedHandler {
 public:
  explicit ScopedHandler(int number) : number_(number) {
    struct sigaction action = {};
    action.sa_handler = count_signal;
    sigemptyset(&action.sa_mask);
    sigaction(number_, &action, &previous_);
  }
  ~ScopedHandler() { sigaction(number_, &previous_, nullptr); }

 private:
  int number_;
  struct sigaction previous_ = {};
};

TEST(Interruption, SigtermSetsTheFlagAndHandlersAreRestored) {
  ScopedHandler previous(SIGTERM);
  test_handler_calls = 0;
  {
    InterruptionWatcher watcher(signals_only());
    EXPECT_FALSE(watcher.interrupted());
    EXPECT_EQ(watcher.source(), InterruptionSource::None);
    EXPECT_EQ(watcher.reason(), "");
    EXPECT_FALSE(watcher.deadline().has_value());
    EXPECT_NE(handler_of(SIGTERM), count_signal);

    const auto before = std::chrono::steady_clock::now();
    ASSERT_EQ(raise(SIGTERM), 0);
    EXPECT_TRUE(watcher.interrupted());
    EXPECT_EQ(watcher.source(), InterruptionSource::Signal);
    EXPECT_EQ(watcher.signal_number(), SIGTERM);
    EXPECT_EQ(watcher.reason(), "signal SIGTERM");
    ASSERT_TRUE(watcher.interrupted_at().has_value());
    EXPECT_GE(*watcher.interrupted_at(), before);
    EXPECT_LE(*watcher.interrupted_at(), std::chrono::steady_clock::now());
    EXPECT_EQ(*watcher.deadline(), *watcher.interrupted_at() + 110s);
    EXPECT_EQ(test_handler_calls.load(), 0);  // ours replaced it while the watcher lived
  }
  EXPECT_EQ(handler_of(SIGTERM), count_signal);
  ASSERT_EQ(raise(SIGTERM), 0);
  EXPECT_EQ(test_handler_calls.load(), 1);
}

TEST(Interruption, SigintSetsTheFlagOnce) {
  ScopedHandler previous(SIGINT);
  InterruptionWatcher watcher(signals_only());
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_TRUE(watcher.interrupted());
  EXPECT_EQ(watcher.signal_number(), SIGINT);
  EXPECT_EQ(watcher.reason(), "signal SIGINT");
}

TEST(Interruption, TheFirstInterruptionWins) {
  ScopedHandler previous(SIGTERM);
  InterruptionWatcher watcher(signals_only());
  watcher.request("test asked");
  ASSERT_EQ(raise(SIGTERM), 0);
  EXPECT_EQ(watcher.source(), InterruptionSource::Requested);
  EXPECT_EQ(watcher.reason(), "requested: test asked");
  EXPECT_EQ(watcher.signal_number(), 0);
}

TEST(Interruption, WatchersSeeOnlyLaterSignalsAndShareTheHandler) {
  ScopedHandler previous(SIGTERM);
  auto outer = std::make_unique<InterruptionWatcher>(signals_only());
  ASSERT_EQ(raise(SIGTERM), 0);
  InterruptionWatcher inner(signals_only());  // created after the signal: not interrupted
  EXPECT_TRUE(outer->interrupted());
  EXPECT_FALSE(inner.interrupted());
  outer.reset();  // inner still holds the registration
  EXPECT_NE(handler_of(SIGTERM), count_signal);
  ASSERT_EQ(raise(SIGTERM), 0);
  EXPECT_TRUE(inner.interrupted());
}

TEST(Interruption, WithoutSignalHandlingNothingIsInstalled) {
  InterruptionOptions options = signals_only();
  options.handle_signals = false;
  ScopedHandler previous(SIGTERM);
  InterruptionWatcher watcher(options);
  EXPECT_EQ(handler_of(SIGTERM), count_signal);
  watcher.request("by hand");
  EXPECT_TRUE(watcher.interrupted());
}

TEST(InterruptionDeathTest, SecondSigintStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        InterruptionWatcher watcher(signals_only());
        raise(SIGINT);
        if (!watcher.interrupted()) _exit(3);
        raise(SIGINT);  // the default action: terminated by SIGINT
        _exit(4);
      },
      ::testing::KilledBySignal(SIGINT), "");
}

TEST(Interruption, OptionsFromEnvironment) {
  const InterruptionOptions defaults = InterruptionOptions::from_env(MapEnvironment());
  EXPECT_TRUE(defaults.handle_signals);
  EXPECT_FALSE(defaults.spot_notice.enabled);
  EXPECT_EQ(defaults.termination_grace, 110s);
  EXPECT_EQ(defaults.spot_notice.interval, 5s);

  const auto options = InterruptionOptions::from_env(env({{"RONDE_TERMINATION_GRACE_S", "45.5"},
                                                                     {"RONDE_SPOT_NOTICE_ENDPOINT", "http://127.0.0.1:1234/"},
                                                                     {"RONDE_SPOT_POLL_SECONDS", "0.25"}}));
  EXPECT_EQ(options.termination_grace, 45500ms);
  EXPECT_TRUE(options.spot_notice.enabled);
  EXPECT_EQ(options.spot_notice.endpoint, "http://127.0.0.1:1234");
  EXPECT_EQ(options.spot_notice.interval, 250ms);

  // The interval alone turns polling on at the real IMDS address; 0 turns it off.
  const auto interval_only = InterruptionOptions::from_env(env({{"RONDE_SPOT_POLL_SECONDS", "10"}}));
  EXPECT_TRUE(interval_only.spot_notice.enabled);
  EXPECT_EQ(interval_only.spot_notice.endpoint, "http://169.254.169.254");
  const auto off = InterruptionOptions::from_env(
      env({{"RONDE_SPOT_NOTICE_ENDPOINT", "http://x"}, {"RONDE_SPOT_POLL_SECONDS", "0"}}));
  EXPECT_FALSE(off.spot_notice.enabled);

  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"RONDE_TERMINATION_GRACE_S", "-1"},
           {"RONDE_TERMINATION_GRACE_S", "soon"},
           {"RONDE_SPOT_POLL_SECONDS", "nan"},
           {"RONDE_SPOT_NOTICE_ENDPOINT", "169.254.169.254"}}) {
    try {
      InterruptionOptions::from_env(env({{name, value}}));
      ADD_FAILURE() << name << "=" << value << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(e.message().find(name), std::string::npos) << e.what();
    }
  }
}

// Run as PID 1 by the CTest entry ronde_checkpoint_pid1 (unshare --pid --fork); skipped otherwise.
TEST(InterruptionPid1, SigtermIsCaughtAsPid1) {
  if (getpid() != 1) GTEST_SKIP() << "not PID 1 (run through the ronde_checkpoint_pid1 test)";
  // As PID 1, a signal with the default disposition is dropped: this process survives it...
  ASSERT_EQ(raise(SIGTERM), 0);
  // ...so only an installed handler notices SIGTERM at all.
  InterruptionWatcher watcher(signals_only());
  ASSERT_EQ(raise(SIGTERM), 0);
  EXPECT_TRUE(watcher.interrupted());
  EXPECT_EQ(watcher.signal_number(), SIGTERM);
}

}  // namespace
}  // namespace ronde::checkpoint
