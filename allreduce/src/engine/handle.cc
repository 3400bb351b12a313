// Handle: waiting on, polling and reading the outcome of one asynchronous engine operation.
#include "engine/handle_state.h"

namespace ronde {

namespace {

Handle::State& require(const std::shared_ptr<Handle::State>& state) {
  if (!state) throw Error(ErrorCode::InvalidArgument, "this Handle refers to no operation (default-constructed)");
  return *state;
}

}  // namespace

void Handle::State::complete(std::optional<Error> outcome, std::vector<std::int64_t> rows) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (done) return;
    done = true;
    error = std::move(outcome);
    received_rows = std::move(rows);
  }
  finished.notify_all();
  if (on_complete) on_complete(error ? &*error : nullptr);
}

void Handle::wait() const {
  State& state = require(state_);
  std::unique_lock<std::mutex> lock(state.mutex);
  state.finished.wait(lock, [&] { return state.done; });
  if (state.error) throw *state.error;
}

bool Handle::wait_for(std::chrono::milliseconds timeout) const {
  State& state = require(state_);
  std::unique_lock<std::mutex> lock(state.mutex);
  return state.finished.wait_for(lock, timeout, [&] { return state.done; });
}

bool Handle::poll() const {
  if (!state_) return false;
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->done;
}

const std::vector<std::int64_t>& Handle::received_rows() const {
  State& state = require(state_);
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.received_rows;
}

const std::string& Handle::name() const { return require(state_).name; }

}  // namespace ronde
