// The process-wide part of interruption handling: the SIGTERM/SIGINT handler and what it records.
//
// Signal dispositions belong to the process, not to an object, so this is the one place with
// process-wide state (lock-free atomics the handler writes, and a use count under a mutex). The
// handler only stores into those atomics (async-signal-safe: no I/O, no allocation, no locks),
// except for the second SIGINT, which restores the default disposition and re-raises it.
#pragma once

#include <chrono>
#include <cstdint>

namespace ronde::checkpoint::detail {

// A signal the handler caught.
struct CaughtSignal {
  int number = 0;                                   // SIGTERM or SIGINT
  std::chrono::steady_clock::time_point when{};     // when the handler ran
};

// While one exists, SIGTERM and SIGINT go to the handler. The first registration installs it and
// remembers the previous dispositions; the last one to go restores them (unless somebody else
// replaced the handler meanwhile, which is then left alone).
class SignalRegistration {
 public:
  SignalRegistration();
  ~SignalRegistration();
  SignalRegistration(const SignalRegistration&) = delete;
  SignalRegistration& operator=(const SignalRegistration&) = delete;

  // The latest signal caught since this registration was made; number 0 when none.
  CaughtSignal caught() const noexcept;

 private:
  std::uint64_t base_;  // the process's caught-signal count when this registration was made
};

// Keeps the handler installed for the rest of the process (as a registration that never ends;
// calling it again changes nothing). For a process that is stopping after its final checkpoint:
// a SIGTERM that arrives late (a platform signalling each host in turn, a second notice) must not
// kill it with that signal's status once the Checkpointer that caught the first one is gone.
void keep_caught_until_exit();

}  // namespace ronde::checkpoint::detail
