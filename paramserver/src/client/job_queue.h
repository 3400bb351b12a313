// Ordered, phased work on the client's thread pool.
//
// A JOB is a list of phases run one after another; a phase's tasks (one per partition or server,
// typically) run concurrently on the pool, and the next phase starts when all of them have ended.
// A phase builds its tasks when it starts, so it can use what earlier phases produced (and the job
// can read state that earlier jobs of its lane left, such as a tensor's step). Jobs submitted to
// the same LANE (a tensor's name) run strictly one after another in submission order; jobs of
// different lanes run concurrently. The job's future completes when its last phase has ended, or
// with the first exception a builder or task threw (the remaining phases then do not run).
#pragma once

#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/thread_pool.h"

namespace ronde::ps::client {

// One call of a phase. `waiting`: it may block until other workers have pushed (thread_pool.h).
struct Task {
  template <class Body>
  Task(Body&& body, bool may_wait = false) : run(std::forward<Body>(body)), waiting(may_wait) {}  // NOLINT: implicit
  std::function<void()> run;
  bool waiting = false;
};
using Phase = std::function<std::vector<Task>()>;

class JobQueue {
 public:
  // `pool` must outlive the queue.
  explicit JobQueue(ThreadPool& pool) : pool_(pool) {}
  // Waits for every job (their tasks run on the pool and use the queue). Not from a pool thread.
  ~JobQueue() { pool_.drain(); }
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;
  std::future<void> submit(const std::string& lane, std::vector<Phase> phases);

 private:
  struct Job;
  void start(const std::shared_ptr<Job>& job);
  void run_phases(const std::shared_ptr<Job>& job);
  void task_ended(const std::shared_ptr<Job>& job, std::exception_ptr error);
  void finish(const std::shared_ptr<Job>& job, std::exception_ptr error);

  ThreadPool& pool_;
  std::mutex mutex_;
  std::map<std::string, std::deque<std::shared_ptr<Job>>, std::less<>> lanes_;  // front: the running job
};

}  // namespace ronde::ps::client
