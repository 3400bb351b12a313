// When the server checkpoints: a background thread saves when a unit has advanced
// --checkpoint-every-steps versions since the last checkpoint (request()) or every
// --checkpoint-every-seconds, skipping saves when nothing changed; stop(true) saves a final one.
// Each save is logged (step, bytes, time) or, when it fails, logged as an error with the reason
// and retried at the next trigger: the step count runs from the last COMMITTED checkpoint (a failed
// save does not restart it), the interval from the last attempt. After a failure the next attempt
// waits a backoff (1 s, doubling to 30 s, back to none after a success), so storage that stays
// broken is tried a few times a minute, not once per push. The server keeps serving either way.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "server/state_checkpoint.h"

namespace ronde::ps::server {

class CheckpointLoop {
 public:
  explicit CheckpointLoop(ServerCore& core);
  ~CheckpointLoop();  // stop(false)

  // Restores the newest checkpoint (start-up, before serving) and logs what it restored.
  void restore();
  // Starts the background thread when a step or time trigger is configured.
  void start();
  // Asks for a checkpoint soon (coalesces with one in progress).
  void request();
  // Stops the thread; with `final_checkpoint`, then saves once more. Returns false when that
  // final save failed (the error is logged).
  bool stop(bool final_checkpoint);

 private:
  void run();
  bool save_and_log(const char* why);

  // The wait after a failed save before the next attempt.
  static constexpr std::chrono::milliseconds kFirstRetryDelay{1000};
  static constexpr std::chrono::milliseconds kMaxRetryDelay{30'000};

  ServerCore& core_;
  StateCheckpointer state_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::mutex save_mutex_;  // one save at a time
  std::thread thread_;
};

}  // namespace ronde::ps::server
