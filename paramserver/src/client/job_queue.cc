#include "client/job_queue.h"

#include <atomic>
#include <cstddef>

namespace ronde::ps::client {

struct JobQueue::Job {
  std::string lane;
  std::vector<Phase> phases;
  std::size_t next_phase = 0;
  std::atomic<std::size_t> remaining{0};  // tasks of the current phase still running
  std::mutex error_mutex;
  std::exception_ptr error;               // the phase's first failure
  std::promise<void> done;
};

std::future<void> JobQueue::submit(const std::string& lane, std::vector<Phase> phases) {
  auto job = std::make_shared<Job>();
  job->lane = lane;
  job->phases = std::move(phases);
  auto future = job->done.get_future();
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    auto& queue = lanes_[lane];
    first = queue.empty();
    queue.push_back(job);
  }
  if (first) start(job);
  return future;
}

void JobQueue::start(const std::shared_ptr<Job>& job) {
  pool_.submit([this, job] { run_phases(job); });
}

void JobQueue::run_phases(const std::shared_ptr<Job>& job) {
  while (job->next_phase < job->phases.size()) {
    std::vector<Task> tasks;
    try {
      tasks = job->phases[job->next_phase]();
    } catch (...) {
      return finish(job, std::current_exception());
    }
    ++job->next_phase;
    if (tasks.empty()) continue;
    job->remaining.store(tasks.size());
    for (auto& task : tasks) {
      const bool waiting = task.waiting;
      pool_.submit(
          [this, job, run = std::move(task.run)] {
            std::exception_ptr error;
            try {
              run();
            } catch (...) {
              error = std::current_exception();
            }
            task_ended(job, error);
          },
          waiting);
    }
    return;  // the phase's last task continues the job
  }
  finish(job, nullptr);
}

void JobQueue::task_ended(const std::shared_ptr<Job>& job, std::exception_ptr error) {
  if (error) {
    std::lock_guard lock(job->error_mutex);
    if (!job->error) job->error = error;
  }
  if (job->remaining.fetch_sub(1) != 1) return;
  std::exception_ptr failure;
  {
    std::lock_guard lock(job->error_mutex);
    failure = job->error;
  }
  if (failure) return finish(job, failure);
  run_phases(job);
}

void JobQueue::finish(const std::shared_ptr<Job>& job, std::exception_ptr error) {
  if (error) job->done.set_exception(error);
  else job->done.set_value();
  std::shared_ptr<Job> next;
  {
    std::lock_guard lock(mutex_);
    auto found = lanes_.find(job->lane);
    found->second.pop_front();
    if (found->second.empty()) lanes_.erase(found);
    else next = found->second.front();
  }
  if (next) start(next);
}

}  // namespace ronde::ps::client
