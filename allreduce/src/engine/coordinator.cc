#include "engine/coordinator.h"

#include <algorithm>

#include "engine/timeline.h"

namespace ronde::engine {

namespace {

// "rank 0 (h1) f32, ranks 1-3 (h1), 4 (h2) f64": each distinct value once, with the ranks that
// asked for it and their hosts.
std::string values_by_rank(const std::vector<std::pair<int, std::string>>& values, const Topology& topology) {
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  for (const auto& [rank, value] : values) {
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == value; });
    if (group == groups.end()) groups.push_back({value, {rank}});
    else group->second.push_back(rank);
  }
  std::string text;
  for (const auto& [value, ranks] : groups) {
    if (!text.empty()) text += ", ";
    text += topology.ranks_phrase(ranks) + " " + value;
  }
  return text;
}

Response fail(const std::string& name, ErrorCode code, std::string message) {
  Response response;
  response.type = Response::Type::Fail;
  response.request.name = name;
  response.code = code;
  response.message = std::move(message);
  return response;
}

}  // namespace

void Coordinator::receive(int rank, const RequestList& list, Clock::time_point now) {
  for (const Request& request : list.requests) {
    Pending& pending = table_[request.name];
    if (pending.by_rank.empty()) {
      pending.by_rank.resize(static_cast<std::size_t>(size_));
      pending.order = arrivals_++;
      pending.since = now - std::chrono::milliseconds(request.waited_ms);
    }
    pending.since = std::min(pending.since, now - std::chrono::milliseconds(request.waited_ms));
    pending.by_rank[static_cast<std::size_t>(rank)] = request;
    if (timeline_) timeline_->instant(request.name, "ready rank " + std::to_string(rank));
  }
  if (list.join && joined_.insert(rank).second) last_joined_ = rank;
  if (list.shutdown) shutdown_ = true;
  if (list.failure) failures_.push_back(topology_.rank_name(rank) + ": " + *list.failure);
}

bool Coordinator::ready(const Pending& pending) const {
  for (int rank = 0; rank < size_; ++rank) {
    if (!pending.by_rank[static_cast<std::size_t>(rank)] && !joined_.contains(rank)) return false;
  }
  return true;
}

Response Coordinator::settle(const std::string& name, const Pending& pending) const {
  // Compare every field across the ranks that submitted; report each differing field.
  const Request* first = nullptr;
  std::vector<std::vector<Field>> fields(static_cast<std::size_t>(size_));
  for (int rank = 0; rank < size_; ++rank) {
    const auto& request = pending.by_rank[static_cast<std::size_t>(rank)];
    if (!request) continue;
    if (!first) first = &*request;
    fields[static_cast<std::size_t>(rank)] = agreed_fields(*request);
  }
  std::string differences;
  const std::vector<Field> base = agreed_fields(*first);
  for (std::size_t f = 0; f < base.size(); ++f) {
    std::vector<std::pair<int, std::string>> values;
    bool differs = false;
    for (int rank = 0; rank < size_; ++rank) {
      const auto& mine = fields[static_cast<std::size_t>(rank)];
      if (!pending.by_rank[static_cast<std::size_t>(rank)]) continue;
      // A different operation changes the field list itself: compare by position only while the
      // names line up, else the whole list differs (the "operation" field reports it).
      const std::string value = f < mine.size() && mine[f].name == base[f].name ? mine[f].value : "-";
      values.push_back({rank, value});
      differs = differs || value != base[f].value;
    }
    if (differs) {
      if (!differences.empty()) differences += "; ";
      differences += base[f].name + " differs: " + values_by_rank(values, topology_);
    }
  }
  if (!differences.empty()) {
    return fail(name, ErrorCode::Mismatch, "tensor '" + name + "': " + differences);
  }
  if (!joined_.empty()) {
    std::vector<int> joined(joined_.begin(), joined_.end());
    const std::string who = topology_.ranks_phrase(joined);
    if (first->kind != OpKind::Allreduce && first->kind != OpKind::Broadcast) {
      return fail(name, ErrorCode::InvalidArgument,
                  "tensor '" + name + "': " + std::string(to_string(first->kind)) + " cannot run while " + who +
                      " joined (a joined rank takes part only in allreduces and broadcasts)");
    }
    if (first->device == Device::Kind::CUDA) {
      return fail(name, ErrorCode::InvalidArgument,
                  "tensor '" + name + "': a CUDA " + std::string(to_string(first->kind)) + " cannot run while " + who +
                      " joined (joined ranks take part in host tensors' operations only)");
    }
    if (first->kind == OpKind::Broadcast && joined_.contains(first->root)) {
      return fail(name, ErrorCode::InvalidArgument,
                  "tensor '" + name + "': broadcast from root " + std::to_string(first->root) +
                      ", which has joined and has no data to send");
    }
  }
  Response response;
  response.type = Response::Type::Run;
  response.request = *first;
  response.request.waited_ms = 0;
  return response;
}

WaitingTensor Coordinator::waiting_for(const std::string& name, const Pending& pending) const {
  WaitingTensor tensor{name, pending.since, {}, {}};
  for (int rank = 0; rank < size_; ++rank) {
    if (pending.by_rank[static_cast<std::size_t>(rank)]) tensor.ready_ranks.push_back(rank);
    else if (!joined_.contains(rank)) tensor.missing_ranks.push_back(rank);
  }
  return tensor;
}

std::vector<WaitingTensor> Coordinator::waiting() const {
  std::vector<WaitingTensor> out;
  for (const auto& [name, pending] : table_) out.push_back(waiting_for(name, pending));
  return out;
}

ResponseList Coordinator::respond(Clock::time_point now) {
  ResponseList list;
  // Ready names, in order of first arrival.
  std::vector<std::pair<std::uint64_t, std::string>> ready_names;
  for (const auto& [name, pending] : table_) {
    if (ready(pending)) ready_names.push_back({pending.order, name});
  }
  std::sort(ready_names.begin(), ready_names.end());
  for (const auto& [order, name] : ready_names) {
    list.responses.push_back(settle(name, table_.at(name)));
    table_.erase(name);
  }
  for (auto it = table_.begin(); it != table_.end();) {
    const WaitingTensor tensor = waiting_for(it->first, it->second);
    if (inspector_.expired(tensor, now)) {
      list.responses.push_back(fail(it->first, ErrorCode::Timeout, inspector_.timeout_message(tensor, now)));
      it = table_.erase(it);
    } else {
      ++it;
    }
  }
  if (static_cast<int>(joined_.size()) == size_) {
    Response done;
    done.type = Response::Type::JoinDone;
    done.last_joined = last_joined_;
    list.responses.push_back(done);
    joined_.clear();
    last_joined_ = -1;
  }
  if (!failures_.empty()) {
    Response abort;
    abort.type = Response::Type::Abort;
    abort.code = ErrorCode::Internal;
    for (const std::string& failure : failures_) abort.message += (abort.message.empty() ? "" : "; ") + failure;
    list.responses.push_back(abort);
    failures_.clear();
  }
  if (shutdown_) {
    Response stop;
    stop.type = Response::Type::Shutdown;
    list.responses.push_back(stop);
  }
  return list;
}

bool Coordinator::timeouts_due(Clock::time_point now) const {
  for (const auto& [name, pending] : table_) {
    if (inspector_.expired(waiting_for(name, pending), now)) return true;
  }
  return false;
}

void Coordinator::inspect(Clock::time_point now, const Logger& log) {
  if (table_.empty()) return;
  inspector_.warn(waiting(), now, log);
}

}  // namespace ronde::engine
