#include "mpi_transport.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "ronde/core/error.h"

namespace ronde {

namespace {

// MPI counts are int: a larger message travels as consecutive pieces of at most this size. Both
// ends cut the same byte count the same way, and same-tag messages arrive in order.
constexpr std::size_t kMaxPieceBytes = std::size_t{1} << 30;

// Polls of a watched wait before it starts yielding the core between polls.
constexpr int kSpinPolls = 2000;
// Polls (each yielding the core) a wait makes after its peer said goodbye, before it gives up.
constexpr int kLastLookPolls = 1000;

// Reads an unsigned integer control variable of this process's MPI by name (MPI_T); 0 when the
// MPI has no such variable (another implementation, or a transport component not loaded).
std::size_t read_mpi_control_variable(const char* name) {
  int provided = 0;
  if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) return 0;
  std::size_t value = 0;
  int index = 0;
  if (MPI_T_cvar_get_index(name, &index) == MPI_SUCCESS) {
    char variable[256];
    char description[1];
    int name_length = sizeof variable, description_length = sizeof description, verbosity = 0, binding = 0, scope = 0;
    MPI_Datatype type = MPI_DATATYPE_NULL;
    MPI_T_enum enumtype;
    MPI_T_cvar_handle handle;
    int count = 0;
    if (MPI_T_cvar_get_info(index, variable, &name_length, &verbosity, &type, &enumtype, description,
                            &description_length, &binding, &scope) == MPI_SUCCESS &&
        MPI_T_cvar_handle_alloc(index, nullptr, &handle, &count) == MPI_SUCCESS) {
      if (count == 1) {
        if (type == MPI_UNSIGNED_LONG) {
          unsigned long read = 0;
          if (MPI_T_cvar_read(handle, &read) == MPI_SUCCESS) value = read;
        } else if (type == MPI_UNSIGNED) {
          unsigned read = 0;
          if (MPI_T_cvar_read(handle, &read) == MPI_SUCCESS) value = read;
        } else if (type == MPI_INT) {
          int read = 0;
          if (MPI_T_cvar_read(handle, &read) == MPI_SUCCESS && read > 0) value = static_cast<std::size_t>(read);
        }
      }
      MPI_T_cvar_handle_free(&handle);
    }
  }
  MPI_T_finalize();
  return value;
}

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

std::string tag_name(Tag tag) {
  switch (tag) {
    case Tag::Allreduce: return "allreduce";
    case Tag::Broadcast: return "broadcast";
    case Tag::Barrier: return "barrier";
    case Tag::Allgather: return "allgather";
    case Tag::Alltoall: return "alltoall";
    case Tag::EngineRequest: return "engine request";
    case Tag::EngineResponse: return "engine response";
    case Tag::Checkpoint: return "checkpoint";
    case Tag::User: break;
  }
  return "tag " + std::to_string(static_cast<int>(tag));
}

class MpiTransfer final : public Transfer {
 public:
  enum class Direction { Send, Recv };
  // `received`: a receive of up to `bytes` (one piece) that reports the size that arrived there.
  MpiTransfer(Direction direction, int rank, int peer, Tag tag, std::size_t bytes, const PeerWatch* watch,
              std::size_t* received = nullptr)
      : direction_(direction), rank_(rank), peer_(peer), tag_(tag), bytes_(bytes), watch_(watch), received_(received) {}

  // Abandoned on an error path: waiting could hang on a peer that will never send, so cancel
  // receives and release sends (MPI finishes a released send by itself).
  ~MpiTransfer() override {
    if (done_) return;
    for (MPI_Request& request : requests_) {
      if (request == MPI_REQUEST_NULL) continue;
      if (direction_ == Direction::Recv) {
        MPI_Cancel(&request);
        MPI_Wait(&request, MPI_STATUS_IGNORE);
      } else {
        MPI_Request_free(&request);
      }
    }
  }

  void post(char* data, MPI_Comm comm) {
    std::size_t offset = 0;
    do {
      const std::size_t piece = std::min(kMaxPieceBytes, bytes_ - offset);
      pieces_.push_back(piece);
      MPI_Request request = MPI_REQUEST_NULL;
      const int count = static_cast<int>(piece);
      const int code = direction_ == Direction::Send
                           ? MPI_Isend(data + offset, count, MPI_BYTE, peer_, static_cast<int>(tag_), comm, &request)
                           : MPI_Irecv(data + offset, count, MPI_BYTE, peer_, static_cast<int>(tag_), comm, &request);
      if (code != MPI_SUCCESS) fail(code);
      requests_.push_back(request);
      offset += piece;
    } while (offset < bytes_);
    statuses_.resize(requests_.size());
  }

  void wait() override {
    if (done_) return;
    if (watch_ == nullptr) {
      finish(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), statuses_.data()));
      return;
    }
    // Polled, so that a lost rank ends the wait: MPI_Waitall would wait for it forever. The first
    // polls spin (a small message arrives within microseconds, and a yield costs about as much);
    // after that each poll yields the core, as MPI_Waitall does with mpi_yield_when_idle.
    for (int polls = 0; !test(); ++polls) {
      if (watch_->finished(peer_)) {
        // The peer's goodbye travels on the watch's own thread and can be seen before MPI reports
        // the completion of a transfer the peer did take part in: a bounded last look first.
        for (int last = 0; last < kLastLookPolls; ++last) {
          if (test()) return;
          std::this_thread::yield();
        }
        throw Error(ErrorCode::Unavailable, "rank " + std::to_string(peer_) + " ended (its ronde context is gone) while rank " +
                                                std::to_string(rank_) + " was waiting to " +
                                                (direction_ == Direction::Send ? "send it " : "receive from it ") +
                                                std::to_string(bytes_) + " bytes of " + tag_name(tag_) +
                                                ": every rank must take part in every collective");
      }
      if (watch_->any_lost()) {
        throw Error(ErrorCode::Unavailable, watch_->lost_message() + " (rank " + std::to_string(rank_) + " was waiting to " +
                                                (direction_ == Direction::Send ? "send " : "receive ") +
                                                std::to_string(bytes_) + " bytes of " + tag_name(tag_) +
                                                (direction_ == Direction::Send ? " to" : " from") + " rank " +
                                                std::to_string(peer_) + ")");
      }
      if (polls >= kSpinPolls) std::this_thread::yield();
    }
  }

  bool test() override {
    if (done_) return true;
    int flag = 0;
    const int code = MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &flag, statuses_.data());
    if (code != MPI_SUCCESS || flag) finish(code);
    return done_;
  }

 private:
  void finish(int code) {
    done_ = true;
    const std::vector<MPI_Status>& statuses = statuses_;
    if (code == MPI_ERR_IN_STATUS) {
      for (const MPI_Status& status : statuses) {
        if (status.MPI_ERROR != MPI_SUCCESS) fail(status.MPI_ERROR);
      }
    }
    if (code != MPI_SUCCESS) fail(code);
    if (direction_ == Direction::Recv) {
      for (std::size_t i = 0; i < statuses.size(); ++i) {
        int received = 0;
        MPI_Get_count(&statuses[i], MPI_BYTE, &received);
        if (received_) *received_ = static_cast<std::size_t>(received);
        else if (static_cast<std::size_t>(received) != pieces_[i]) mismatch(static_cast<std::size_t>(received));
      }
    }
  }

  [[noreturn]] void mismatch(std::size_t received) const {
    throw Error(ErrorCode::Mismatch, "rank " + std::to_string(rank_) + " expected " + std::to_string(bytes_) +
                                         " bytes from rank " + std::to_string(peer_) + " (" + tag_name(tag_) +
                                         ") but a message of " + std::to_string(received) +
                                         " bytes arrived: the ranks disagree on the element count or dtype");
  }

  [[noreturn]] void fail(int code) const {
    int error_class = code;
    MPI_Error_class(code, &error_class);
    if (direction_ == Direction::Recv && error_class == MPI_ERR_TRUNCATE) {
      throw Error(ErrorCode::Mismatch, "rank " + std::to_string(rank_) + " expected " + std::to_string(bytes_) +
                                           " bytes from rank " + std::to_string(peer_) + " (" + tag_name(tag_) +
                                           ") but a larger message arrived: the ranks disagree on the element "
                                           "count or dtype");
    }
    throw Error(ErrorCode::Internal, std::string(direction_ == Direction::Send ? "MPI send" : "MPI receive") +
                                         " between rank " + std::to_string(rank_) + " and rank " +
                                         std::to_string(peer_) + " (" + tag_name(tag_) + ") failed: " + mpi_error_text(code));
  }

  Direction direction_;
  int rank_;
  int peer_;
  Tag tag_;
  std::size_t bytes_;
  std::vector<MPI_Request> requests_;
  std::vector<MPI_Status> statuses_;  // one per request, allocated once: test() is polled in loops
  std::vector<std::size_t> pieces_;
  const PeerWatch* watch_;
  std::size_t* received_;
  bool done_ = false;
};

}  // namespace

MpiTransport::MpiTransport(MPI_Comm comm, std::shared_ptr<const PeerWatch> watch) : watch_(std::move(watch)) {
  if (MPI_Comm_dup(comm, &comm_) != MPI_SUCCESS) throw Error(ErrorCode::Internal, "MPI_Comm_dup failed");
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  eager_limit_between_hosts_ = read_mpi_control_variable("btl_tcp_eager_limit");
}

MpiTransport::~MpiTransport() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  // After a lost rank, freeing could wait on requests that never finish: leave it to the exit.
  const bool lost = watch_ && watch_->any_lost();
  if (!finalized && !lost && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MpiTransport::check_peer(int peer, const char* what) const {
  if (peer < 0 || peer >= size_) {
    throw Error(ErrorCode::InvalidArgument, std::string(what) + " peer rank " + std::to_string(peer) +
                                                " is outside the group of " + std::to_string(size_) + " ranks");
  }
}

std::unique_ptr<Transfer> MpiTransport::send(int peer, const void* data, std::size_t bytes, Tag tag) {
  check_peer(peer, "send");
  auto transfer = std::make_unique<MpiTransfer>(MpiTransfer::Direction::Send, rank_, peer, tag, bytes, watch_.get());
  // MPI takes a non-const pointer in its C prototypes of old; the data is only read.
  transfer->post(static_cast<char*>(const_cast<void*>(data)), comm_);
  return transfer;
}

std::unique_ptr<Transfer> MpiTransport::recv(int peer, void* data, std::size_t bytes, Tag tag) {
  check_peer(peer, "recv");
  auto transfer = std::make_unique<MpiTransfer>(MpiTransfer::Direction::Recv, rank_, peer, tag, bytes, watch_.get());
  transfer->post(static_cast<char*>(data), comm_);
  return transfer;
}

std::unique_ptr<Transfer> MpiTransport::recv_up_to(int peer, void* data, std::size_t capacity, Tag tag,
                                                   std::size_t& received) {
  check_peer(peer, "recv");
  if (capacity > kMaxPieceBytes) {
    throw Error(ErrorCode::InvalidArgument, "recv_up_to: a capacity of " + std::to_string(capacity) + " bytes is over 1 GiB");
  }
  auto transfer = std::make_unique<MpiTransfer>(MpiTransfer::Direction::Recv, rank_, peer, tag, capacity, watch_.get(),
                                                &received);
  transfer->post(static_cast<char*>(data), comm_);
  return transfer;
}

}  // namespace ronde
