#include "checkpointer/save_worker.h"

#include <utility>

#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {

SaveWorker::SaveWorker() : thread_([this] { run(); }) {}

SaveWorker::~SaveWorker() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !busy_; });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void SaveWorker::submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy_) throw Error(ErrorCode::Internal, "checkpointer: a save was submitted while another is running");
    job_ = std::move(job);
    busy_ = true;
  }
  changed_.notify_all();
}

void SaveWorker::wait_idle() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !busy_; });
}

bool SaveWorker::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !busy_;
}

std::exception_ptr SaveWorker::take_error() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(error_, nullptr);
}

void SaveWorker::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || busy_; });
    if (!busy_) return;  // stopping and idle
    std::function<void()> job = std::move(job_);
    lock.unlock();
    std::exception_ptr error;
    try {
      job();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error) error_ = error;
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace ronde::checkpoint::detail
