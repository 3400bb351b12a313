#include "client/thread_pool.h"

namespace ronde::ps::client {

ThreadPool::ThreadPool(int threads) {
  std::lock_guard lock(mutex_);
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(ordinary_); });
}

ThreadPool::~ThreadPool() {
  drain();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (auto& thread : threads) thread.join();
}

void ThreadPool::submit(std::function<void()> task, bool waiting) {
  std::lock_guard lock(mutex_);
  Queue& queue = waiting ? waiting_ : ordinary_;
  queue.tasks.push_back(std::move(task));
  // A waiting task never queues behind others: with no idle waiting thread for it, start one.
  if (waiting && waiting_.idle < waiting_.tasks.size()) {
    threads_.emplace_back([this] { work(waiting_); });
  }
  wake_.notify_all();
}

void ThreadPool::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return ordinary_.tasks.empty() && waiting_.tasks.empty() && running_ == 0; });
}

void ThreadPool::work(Queue& queue) {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++queue.idle;
    wake_.wait(lock, [&] { return stopping_ || !queue.tasks.empty(); });
    --queue.idle;
    if (queue.tasks.empty()) return;  // stopping, and nothing left
    auto task = std::move(queue.tasks.front());
    queue.tasks.pop_front();
    ++running_;
    lock.unlock();
    task();
    task = nullptr;  // release what it captured before counting it done
    lock.lock();
    --running_;
    if (ordinary_.tasks.empty() && waiting_.tasks.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace ronde::ps::client
