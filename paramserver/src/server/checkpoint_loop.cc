#include "server/checkpoint_loop.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <sstream>

namespace ronde::ps::server {
namespace {

std::string mib(std::uint64_t bytes) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1 << 20) << " MiB";
  return text.str();
}

}  // namespace

CheckpointLoop::CheckpointLoop(ServerCore& core) : core_(core), state_(core) {}

CheckpointLoop::~CheckpointLoop() { stop(false); }

void CheckpointLoop::restore() {
  const auto restored = state_.restore();
  if (!restored) {
    core_.log.info("no checkpoint in ", state_.uri(), ": starting with no tensors");
    return;
  }
  core_.log.info("restored the checkpoint of step ", restored->step, " from ", state_.uri(), ": ",
                 restored->partitions, " dense partitions, ", restored->tables, " sparse tables (", restored->rows,
                 " rows), versions up to ", restored->max_version);
}

void CheckpointLoop::start() {
  if (core_.options.checkpoint_every_steps <= 0 && core_.options.checkpoint_every_seconds <= 0) return;
  thread_ = std::thread([this] { run(); });
}

void CheckpointLoop::request() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (requested_) return;
  requested_ = true;
  wake_.notify_all();
}

void CheckpointLoop::run() {
  using Clock = std::chrono::steady_clock;
  const double seconds = core_.options.checkpoint_every_seconds;
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Clock::time_point next_timed = Clock::now() + period;
  std::chrono::milliseconds retry_delay{0};  // zero until a save fails
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (seconds > 0) {
      wake_.wait_until(lock, next_timed, [&] { return stopping_ || requested_; });
    } else {
      wake_.wait(lock, [&] { return stopping_ || requested_; });
    }
    if (stopping_) break;
    const bool timed = seconds > 0 && Clock::now() >= next_timed;
    if (!requested_ && !timed) continue;
    const char* why = requested_ ? "steps" : "interval";
    requested_ = false;
    lock.unlock();
    const bool saved = save_and_log(why);
    lock.lock();
    if (seconds > 0) next_timed = Clock::now() + period;
    if (saved) {
      retry_delay = std::chrono::milliseconds{0};
      continue;
    }
    // Requests that arrive meanwhile stay pending and are served after the backoff.
    retry_delay = retry_delay.count() == 0 ? kFirstRetryDelay : std::min(retry_delay * 2, kMaxRetryDelay);
    core_.log.warn("next checkpoint attempt in ", retry_delay.count() / 1000.0, " s at the earliest");
    wake_.wait_for(lock, retry_delay, [&] { return stopping_; });
  }
}

bool CheckpointLoop::save_and_log(const char* why) {
  std::lock_guard<std::mutex> lock(save_mutex_);
  try {
    const auto saved = state_.save();
    if (!saved) {
      if (std::string(why) == "shutdown") {
        core_.log.info("no final checkpoint needed: nothing changed since the checkpoint of step ",
                       state_.last_step() ? std::to_string(*state_.last_step()) : std::string("(none)"));
      }
      return true;
    }
    std::ostringstream seconds;
    seconds << std::fixed << std::setprecision(3) << saved->seconds;
    core_.log.info("checkpoint committed (", why, "): step ", saved->step, ", ", saved->units, " partitions/tables, ",
                   mib(saved->bytes), " in ", seconds.str(), " s to ", state_.uri());
    return true;
  } catch (const std::exception& error) {
    core_.log.error("checkpoint failed (", why, ") to ", state_.uri(), ": ", error.what());
    return false;
  }
}

bool CheckpointLoop::stop(bool final_checkpoint) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (!final_checkpoint) return true;
  return save_and_log("shutdown");
}

}  // namespace ronde::ps::server
