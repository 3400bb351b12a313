#include "peer_watch.h"

#include <algorithm>
#include <cstdio>

namespace ronde {

namespace {

constexpr int kTag = 77;  // the only tag on the watch's private communicator
// How often the thread looks for messages between heartbeats. Short enough that a notice or a
// goodbye is seen at once compared with any timeout, long enough to cost nothing.
constexpr std::chrono::milliseconds kPoll{20};
// In-flight heartbeats to one peer beyond which it is not sent more (a peer behind a dead link
// never takes them; the watch declares it lost long before this many pile up).
constexpr std::size_t kMaxPendingSends = 256;

std::string seconds(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

}  // namespace

std::chrono::milliseconds PeerWatch::interval_for(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 10, std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
}

PeerWatch::PeerWatch(MPI_Comm comm, Topology topology, Options options, Logger log)
    : topology_(std::move(topology)), options_(options), log_(std::move(log)) {
  MPI_Comm_dup(comm, &comm_);
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  finished_ = std::vector<std::atomic<bool>>(static_cast<std::size_t>(size_));
  const auto now = std::chrono::steady_clock::now();
  for (int peer : {(rank_ + size_ - 1) % size_, (rank_ + 1) % size_}) {
    const bool known = std::any_of(neighbours_.begin(), neighbours_.end(), [&](const Neighbour& n) { return n.rank == peer; });
    if (peer != rank_ && !known) neighbours_.push_back({peer, now});
  }
  post_receive();
  thread_ = std::thread([this] { run(); });
}

PeerWatch::~PeerWatch() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (any_lost()) {
    // Sends to a lost rank may never finish, and MPI may read their buffers until they do: the
    // requests are released to MPI and their few bytes left allocated (deliberately; the process
    // is about to end with an error). The receive is local and cancels at once.
    for (auto& send : sends_) {
      MPI_Request_free(&send->request);
      static_cast<void>(send.release());
    }
    sends_.clear();
    if (receive_ != MPI_REQUEST_NULL) {
      MPI_Cancel(&receive_);
      MPI_Wait(&receive_, MPI_STATUS_IGNORE);
    }
    return;
  }
  for (const Neighbour& neighbour : neighbours_) {
    if (finished(neighbour.rank)) continue;
    auto goodbye = std::make_unique<Outgoing>();
    goodbye->message[0] = Goodbye, goodbye->message[1] = rank_, goodbye->message[2] = rank_, goodbye->message[3] = 0;
    MPI_Isend(goodbye->message, 4, MPI_INT64_T, neighbour.rank, kTag, comm_, &goodbye->request);
    sends_.push_back(std::move(goodbye));
  }
  reap_sends(/*all=*/true);
  if (receive_ != MPI_REQUEST_NULL) {
    MPI_Cancel(&receive_);
    MPI_Wait(&receive_, MPI_STATUS_IGNORE);
  }
  MPI_Comm_free(&comm_);
}

std::string PeerWatch::lost_message() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (lost_.empty()) return {};
  std::string text;
  for (const std::string& line : lost_) text += (text.empty() ? "" : "; ") + line;
  return text + ". The job cannot go on without " + (lost_ranks_.size() == 1 ? "it" : "them") +
         ": restart it (it resumes from its last checkpoint)";
}

void PeerWatch::run() {
  auto next_beat = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_beat) {
      send_heartbeats();
      next_beat = now + options_.interval;
    }
    receive_messages(now);
    check_silence(now);
    reap_sends(/*all=*/false);
    lock.lock();
    wake_.wait_for(lock, kPoll, [this] { return stop_; });
  }
}

void PeerWatch::send_heartbeats() {
  for (const Neighbour& neighbour : neighbours_) {
    if (finished(neighbour.rank) || any_lost()) continue;  // once a rank is lost, the watch's work is done
    const auto pending = std::count_if(sends_.begin(), sends_.end(), [&](const auto& s) { return s->message[2] == neighbour.rank; });
    if (static_cast<std::size_t>(pending) >= kMaxPendingSends) continue;
    auto beat = std::make_unique<Outgoing>();
    // message[2] holds the destination here (only for the count above); receivers ignore it.
    beat->message[0] = Heartbeat, beat->message[1] = rank_, beat->message[2] = neighbour.rank, beat->message[3] = 0;
    MPI_Isend(beat->message, 4, MPI_INT64_T, neighbour.rank, kTag, comm_, &beat->request);
    sends_.push_back(std::move(beat));
  }
}

void PeerWatch::receive_messages(std::chrono::steady_clock::time_point now) {
  for (;;) {
    int arrived = 0;
    MPI_Status status;
    if (MPI_Test(&receive_, &arrived, &status) != MPI_SUCCESS) {
      post_receive();  // a failed receive (a peer's connection broke): keep listening
      return;
    }
    if (!arrived) return;
    const std::int64_t kind = inbox_[0], subject = inbox_[1], detector = inbox_[2], silence = inbox_[3];
    const int from = status.MPI_SOURCE;
    post_receive();
    for (Neighbour& neighbour : neighbours_) {
      if (neighbour.rank != from) continue;
      neighbour.last_heard = now;
      if (kind == Goodbye) finished_[static_cast<std::size_t>(from)].store(true, std::memory_order_release);
    }
    if (kind == Lost && subject >= 0 && subject < size_ && detector >= 0 && detector < size_) {
      declare_lost(static_cast<int>(subject), static_cast<int>(detector), std::chrono::milliseconds(silence));
    }
  }
}

void PeerWatch::check_silence(std::chrono::steady_clock::time_point now) {
  for (const Neighbour& neighbour : neighbours_) {
    if (finished(neighbour.rank)) continue;
    const auto silence = std::chrono::duration_cast<std::chrono::milliseconds>(now - neighbour.last_heard);
    if (silence < options_.timeout) continue;
    const bool already = [&] {
      std::lock_guard<std::mutex> lock(mutex_);
      return std::find(lost_ranks_.begin(), lost_ranks_.end(), neighbour.rank) != lost_ranks_.end();
    }();
    if (already) continue;
    declare_lost(neighbour.rank, rank_, silence);
    // Every other rank hears of it once (the lost one cannot).
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_ || peer == neighbour.rank) continue;
      auto notice = std::make_unique<Outgoing>();
      notice->message[0] = Lost, notice->message[1] = neighbour.rank, notice->message[2] = rank_,
      notice->message[3] = silence.count();
      MPI_Isend(notice->message, 4, MPI_INT64_T, peer, kTag, comm_, &notice->request);
      sends_.push_back(std::move(notice));
    }
  }
}

void PeerWatch::declare_lost(int rank, int detected_by, std::chrono::milliseconds silence) {
  std::string line;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (std::find(lost_ranks_.begin(), lost_ranks_.end(), rank) != lost_ranks_.end()) return;
    lost_ranks_.push_back(rank);
    line = topology_.rank_name(rank) + " is lost: " + topology_.rank_name(detected_by) +
           " heard no heartbeat from it for " + seconds(silence) +
           " (its process died, its host went down, or the network between them failed)";
    lost_.push_back(line);
    any_lost_.store(true, std::memory_order_release);
  }
  log_.error(line, "; every wait for other ranks now fails with this error");
}

void PeerWatch::post_receive() {
  receive_ = MPI_REQUEST_NULL;
  MPI_Irecv(inbox_, 4, MPI_INT64_T, MPI_ANY_SOURCE, kTag, comm_, &receive_);
}

void PeerWatch::reap_sends(bool all) {
  const auto give_up = std::chrono::steady_clock::now() + options_.interval;
  do {
    sends_.erase(std::remove_if(sends_.begin(), sends_.end(),
                                [](const std::unique_ptr<Outgoing>& send) {
                                  int done = 0;
                                  return MPI_Test(&send->request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || done;
                                }),
                 sends_.end());
    if (!all || sends_.empty()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  } while (std::chrono::steady_clock::now() < give_up);
  // Sends that did not finish within an interval go to a peer that no longer listens.
  for (auto& send : sends_) MPI_Request_free(&send->request);
  sends_.clear();
}

}  // namespace ronde
