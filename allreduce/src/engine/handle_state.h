// The shared state behind a Handle: set once by the engine's thread, read by any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ronde/allreduce/engine.h"

namespace ronde {

struct Handle::State {
  explicit State(std::string name_, std::function<void(const Error*)> callback = {})
      : name(std::move(name_)), on_complete(std::move(callback)) {}

  // Records the outcome (nullopt: success), wakes the waiters, then runs the on_complete
  // callback outside the lock (it may enqueue again, or inspect this handle). A callback that
  // throws is logged by the caller, not propagated; later calls are ignored.
  void complete(std::optional<Error> outcome, std::vector<std::int64_t> rows = {});

  const std::string name;
  std::function<void(const Error*)> on_complete;

  mutable std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::optional<Error> error;
  std::vector<std::int64_t> received_rows;
};

}  // namespace ronde
