// SaveWorker: the background thread that persists asynchronous saves, one at a time.
//
// Contract: submit() hands over a job only when the worker is idle (the checkpointer calls
// wait_idle() first, which is how "a save waits for the previous one" is kept). A job's exception
// is kept until take_error() hands it out once. The destructor waits for the job in flight.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace ronde::checkpoint::detail {

class SaveWorker {
 public:
  SaveWorker();
  ~SaveWorker();
  SaveWorker(const SaveWorker&) = delete;
  SaveWorker& operator=(const SaveWorker&) = delete;

  void submit(std::function<void()> job);
  // Blocks until no job is queued or running.
  void wait_idle();
  bool idle() const;
  // The error of the last failed job (and forgets it), or nullptr.
  std::exception_ptr take_error();

 private:
  void run();
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace ronde::checkpoint::detail
