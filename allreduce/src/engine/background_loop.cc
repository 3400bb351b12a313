#include "engine/background_loop.h"

#include <algorithm>
#include <thread>

#include "engine/timeline.h"

namespace ronde::engine {

namespace {

// Operations waiting on the cache go to rank 0 after half the shortest stall period, so that the
// stall inspector sees them in time; never when stall inspection is off.
Clock::duration demotion_delay(const EngineOptions& options) {
  std::chrono::seconds shortest{0};
  for (std::chrono::seconds period : {options.stall_check, options.stall_shutdown}) {
    if (period.count() > 0 && (shortest.count() == 0 || period < shortest)) shortest = period;
  }
  return shortest / 2;
}

std::int64_t milliseconds(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

}  // namespace

BackgroundLoop::BackgroundLoop(Context& context, const EngineOptions& options, SubmissionQueue& queue,
                               Counters& counters, Timeline* timeline)
    : context_(context),
      options_(options),
      queue_(queue),
      counters_(counters),
      timeline_(timeline),
      channel_(context),
      cache_(options.cache_capacity),
      executor_(context, options, timeline, counters),
      demote_after_(demotion_delay(options)) {
  if (context.rank() == 0) {
    coordinator_.emplace(context.topology(),
                         StallInspector(options.stall_check, options.stall_shutdown, context.topology()), timeline);
  }
}

void BackgroundLoop::run() {
  std::optional<Error> failure;
  try {
    while (true) {
      const Clock::time_point start = Clock::now();
      if (!cycle()) return;
      std::this_thread::sleep_until(start + options_.cycle_time);
    }
  } catch (const Error& error) {
    failure = Error(error.code(), "engine: the background thread failed: " + error.message());
  } catch (const std::exception& error) {
    failure = Error(ErrorCode::Internal, std::string("engine: the background thread failed: ") + error.what());
  }
  context_.log().error(failure->message());
  stop(failure);
}

void BackgroundLoop::finish(OperationPtr operation, std::optional<Error> error, std::vector<std::int64_t> rows) {
  queue_.release(operation->request.name);
  counters_.operations += 1;
  try {
    operation->state->complete(std::move(error), std::move(rows));
  } catch (const std::exception& e) {
    context_.log().error("engine: the on_complete callback of tensor '", operation->request.name, "' threw: ", e.what());
  }
}

void BackgroundLoop::accept(OperationPtr operation) {
  if (timeline_) timeline_->begin(operation->request.name, "NEGOTIATE");
  const ResponseCache::Found found = cache_.lookup(operation->request);
  switch (found.result) {
    case ResponseCache::Lookup::Hit:
      operation->cache_slot = found.slot;
      cached_[found.slot] = std::move(operation);
      return;
    case ResponseCache::Lookup::Changed:
      invalidate_.push_back(found.slot);
      break;
    case ResponseCache::Lookup::Miss:
      break;
  }
  uncached_.push_back(std::move(operation));
}

void BackgroundLoop::requeue_cached(std::size_t slot) {
  const auto it = cached_.find(slot);
  if (it == cached_.end()) return;
  it->second->cache_slot.reset();
  uncached_.push_back(std::move(it->second));
  cached_.erase(it);
}

bool BackgroundLoop::joinable(const Request& cached) const {
  if (cached.device != Device::Kind::CPU) return false;
  return cached.kind == OpKind::Allreduce || (cached.kind == OpKind::Broadcast && cached.root != context_.rank());
}

bool BackgroundLoop::cycle() {
  const Clock::time_point now = Clock::now();
  counters_.cycles += 1;

  // 1. New work from the callers.
  SubmissionQueue::Drained drained = queue_.drain();
  for (OperationPtr& operation : drained.operations) {
    operation->enqueued = std::min(operation->enqueued, now);
    accept(std::move(operation));
  }
  if (drained.join) {
    join_ = std::move(drained.join);
    send_join_ = true;
  }
  shutdown_requested_ = shutdown_requested_ || drained.shutdown;
  if (demote_after_.count() > 0) {
    for (const auto& [slot, operation] : cached_) {
      if (now - operation->enqueued >= demote_after_) invalidate_.push_back(slot);
    }
  }
  const std::size_t slots = cache_.slot_count();
  if (joined_) {
    for (std::size_t slot = 0; slot < slots; ++slot) {
      if (cache_.occupied(slot) && !joinable(cache_.at(slot))) invalidate_.push_back(slot);
    }
  }
  std::optional<std::string> failure = executor_.take_failure();

  // 2. The bit vector: [0] 0 when a round trip is needed; [1] 1 when this rank has joined;
  //    [2, 2+slots) ready; [2+slots, 2+2*slots) valid.
  const bool need = !uncached_.empty() || !invalidate_.empty() || send_join_ || shutdown_requested_ || failure ||
                    (coordinator_ && coordinator_->timeouts_due(now));
  std::vector<std::uint8_t> bits(2 + 2 * slots, 1);
  bits[0] = need ? 0 : 1;
  bits[1] = joined_ ? 1 : 0;
  for (std::size_t slot = 0; slot < slots; ++slot) {
    bits[2 + slot] = cached_.contains(slot) || (joined_ && cache_.occupied(slot) && joinable(cache_.at(slot))) ? 1 : 0;
  }
  for (std::size_t slot : invalidate_) bits[2 + slots + slot] = 0;
  invalidate_.clear();
  bits = channel_.allreduce_min(std::move(bits));
  const bool round_trip = bits[0] == 0;
  const bool all_joined = bits[1] == 1;

  // Invalidated slots leave every rank's cache; their waiters go to rank 0 in this cycle's round
  // trip (the invalidating rank asked for one).
  for (std::size_t slot = 0; slot < slots; ++slot) {
    if (bits[2 + slots + slot] == 0) {
      cache_.erase(slot);
      requeue_cached(slot);
    }
  }
  std::vector<Request> runs;
  std::vector<OperationPtr> local;
  for (std::size_t slot = 0; slot < slots; ++slot) {
    if (all_joined || bits[2 + slot] == 0 || !cache_.occupied(slot)) continue;
    runs.push_back(cache_.at(slot));
    cache_.touch(slot);
    OperationPtr operation;
    if (auto it = cached_.find(slot); it != cached_.end()) {
      operation = std::move(it->second);
      cached_.erase(it);
      counters_.cache_hits += 1;
      if (timeline_) timeline_->end(operation->request.name, "NEGOTIATE");
    }
    local.push_back(std::move(operation));
  }

  // 3. The round trip to rank 0.
  bool stopping = false;
  std::optional<Error> stop_error;
  if (round_trip) {
    counters_.coordinator_round_trips += 1;
    RequestList mine;
    for (OperationPtr& operation : uncached_) {
      Request request = operation->request;
      request.waited_ms = milliseconds(now - operation->enqueued);
      mine.requests.push_back(std::move(request));
      negotiating_[operation->request.name] = std::move(operation);
    }
    uncached_.clear();
    mine.join = send_join_;
    if (send_join_) {
      joined_ = true;
      send_join_ = false;
    }
    mine.shutdown = shutdown_requested_;
    mine.failure = std::move(failure);

    ResponseList answer;
    if (coordinator_) {
      std::vector<std::vector<std::byte>> all = channel_.gather({});
      coordinator_->receive(0, mine, now);
      for (int rank = 1; rank < context_.size(); ++rank) {
        coordinator_->receive(rank, RequestList::decode(all[static_cast<std::size_t>(rank)]), now);
      }
      answer = coordinator_->respond(now);
      channel_.broadcast(answer.encode());
    } else {
      channel_.gather(mine.encode());
      answer = ResponseList::decode(channel_.broadcast({}));
    }

    for (Response& response : answer.responses) {
      switch (response.type) {
        case Response::Type::Run: {
          std::optional<std::size_t> evicted;
          cache_.put(response.request, evicted);
          if (evicted) requeue_cached(*evicted);
          OperationPtr operation;
          if (auto it = negotiating_.find(response.request.name); it != negotiating_.end()) {
            operation = std::move(it->second);
            negotiating_.erase(it);
            if (timeline_) timeline_->end(operation->request.name, "NEGOTIATE");
          }
          runs.push_back(std::move(response.request));
          local.push_back(std::move(operation));
          break;
        }
        case Response::Type::Fail:
          if (auto it = negotiating_.find(response.request.name); it != negotiating_.end()) {
            OperationPtr operation = std::move(it->second);
            negotiating_.erase(it);
            if (timeline_) timeline_->end(operation->request.name, "NEGOTIATE");
            finish(std::move(operation), Error(response.code, response.message));
          }
          break;
        case Response::Type::JoinDone:
          joined_ = false;
          if (join_) {
            queue_.release_join();
            std::shared_ptr<Handle::State> join = std::move(join_);
            join_.reset();
            join->complete(std::nullopt, {response.last_joined});
          }
          break;
        case Response::Type::Abort:
          stopping = true;
          stop_error = Error(response.code, "engine stopped: " + response.message);
          break;
        case Response::Type::Shutdown:
          stopping = true;
          break;
      }
    }
  }

  // 4. Run what is ready everywhere.
  executor_.run(runs, local, [this](OperationPtr operation, std::optional<Error> error, std::vector<std::int64_t> rows) {
    finish(std::move(operation), std::move(error), std::move(rows));
  });
  if (coordinator_) coordinator_->inspect(now, context_.log());
  if (stopping) {
    stop(stop_error);
    return false;
  }
  return true;
}

void BackgroundLoop::stop(const std::optional<Error>& error) {
  const std::string reason =
      error ? error->message() : "engine: shut down (Engine::shutdown() or its destructor on some rank)";
  SubmissionQueue::Drained left = queue_.stop(error ? reason : "engine: enqueue after shutdown");
  std::vector<OperationPtr> pending = std::move(left.operations);
  for (auto& operation : uncached_) pending.push_back(std::move(operation));
  for (auto& [slot, operation] : cached_) pending.push_back(std::move(operation));
  for (auto& [name, operation] : negotiating_) pending.push_back(std::move(operation));
  uncached_.clear();
  cached_.clear();
  negotiating_.clear();
  for (OperationPtr& operation : pending) {
    const std::string name = operation->request.name;
    finish(std::move(operation), error ? Error(error->code(), "tensor '" + name + "': " + reason)
                                       : Error(ErrorCode::Cancelled, "tensor '" + name + "' did not run: " + reason));
  }
  for (auto* join : {&join_, &left.join}) {
    if (*join) (*join)->complete(Error(error ? error->code() : ErrorCode::Cancelled, "join: " + reason));
  }
}

}  // namespace ronde::engine
