// The threads the client's calls run on, so that the caller's thread only submits and gets a
// future.
//
// Two kinds of task. An ordinary task (a call that does not wait for other workers) runs on one of
// a fixed number of threads, in FIFO order. A WAITING task (a call that may block until other
// workers have pushed: sync and bounded-staleness pulls, sync pushes, pulls for initial values)
// gets a thread of its own, reused from earlier waiting tasks when one is idle and started
// otherwise: a fixed pool could fill with calls waiting for other workers whose own progress waits
// for a push queued behind them (workers that push tensors in different orders would deadlock).
// Waiting threads are as many as the most waiting calls ever in flight at once, and are joined
// when the pool is destroyed.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ronde::ps::client {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  // drain(), then joins every thread.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Tasks must not throw (the client's tasks catch everything into their futures). Tasks may submit
  // further tasks, also while the pool drains.
  void submit(std::function<void()> task, bool waiting = false);
  // Blocks until no task is queued or running (tasks submitted meanwhile included).
  void drain();

 private:
  struct Queue {
    std::deque<std::function<void()>> tasks;
    std::size_t idle = 0;  // threads of this queue waiting for a task
  };
  void work(Queue& queue);

  std::mutex mutex_;
  std::condition_variable wake_;   // a task was queued, or the pool stops
  std::condition_variable idle_;   // nothing queued and nothing running any more
  Queue ordinary_;
  Queue waiting_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ronde::ps::client
