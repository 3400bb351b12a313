#include "engine/submission_queue.h"

namespace ronde::engine {

void SubmissionQueue::check_open() const {
  if (stopped_) throw Error(ErrorCode::Cancelled, stop_reason_);
}

void SubmissionQueue::push(OperationPtr operation) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_open();
  if (!in_flight_.insert(operation->request.name).second) {
    throw Error(ErrorCode::InvalidArgument, "engine: tensor '" + operation->request.name +
                                                "' is already pending on this rank; wait for its handle before "
                                                "enqueueing the name again");
  }
  operations_.push_back(std::move(operation));
}

std::shared_ptr<Handle::State> SubmissionQueue::join() {
  std::lock_guard<std::mutex> lock(mutex_);
  check_open();
  if (join_ || join_taken_) throw Error(ErrorCode::InvalidArgument, "engine: join() is already in progress on this rank");
  join_ = std::make_shared<Handle::State>("join");
  return join_;
}

void SubmissionQueue::request_shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  shutdown_ = true;
}

SubmissionQueue::Drained SubmissionQueue::drain() {
  std::lock_guard<std::mutex> lock(mutex_);
  Drained drained;
  drained.operations = std::move(operations_);
  operations_.clear();
  drained.shutdown = shutdown_;
  if (join_) {
    drained.join = std::move(join_);
    join_.reset();
    join_taken_ = true;
  }
  return drained;
}

void SubmissionQueue::release(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_.erase(name);
}

void SubmissionQueue::release_join() {
  std::lock_guard<std::mutex> lock(mutex_);
  join_taken_ = false;
}

SubmissionQueue::Drained SubmissionQueue::stop(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  stop_reason_ = reason;
  Drained left;
  left.operations = std::move(operations_);
  operations_.clear();
  left.join = std::move(join_);
  join_.reset();
  in_flight_.clear();
  return left;
}

bool SubmissionQueue::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopped_;
}

}  // namespace ronde::engine
