#include "support/thread_transport.h"

#include <cstring>
#include <string>

#include "ronde/core/error.h"

namespace ronde::testing {

namespace {

class CompletedTransfer final : public Transfer {
 public:
  void wait() override {}
  bool test() override { return true; }
};

class ThreadReceive final : public Transfer {
 public:
  ThreadReceive(ThreadFabric& fabric, int from, int to, Tag tag, void* data, std::size_t bytes,
                std::size_t* received = nullptr)
      : fabric_(fabric), from_(from), to_(to), tag_(tag), data_(data), bytes_(bytes), received_(received) {}
  void wait() override {
    if (!done_) done_ = fabric_.take(from_, to_, tag_, data_, bytes_, true, received_);
  }
  bool test() override {
    if (!done_) done_ = fabric_.take(from_, to_, tag_, data_, bytes_, false, received_);
    return done_;
  }

 private:
  ThreadFabric& fabric_;
  int from_, to_;
  Tag tag_;
  void* data_;
  std::size_t bytes_;
  std::size_t* received_;
  bool done_ = false;
};

}  // namespace

void ThreadFabric::deliver(int from, int to, Tag tag, const void* data, std::size_t bytes) {
  std::vector<std::byte> message(bytes);
  if (bytes) std::memcpy(message.data(), data, bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    mailboxes_[{from, to, static_cast<int>(tag)}].push_back(std::move(message));
  }
  arrived_.notify_all();
}

bool ThreadFabric::take(int from, int to, Tag tag, void* data, std::size_t bytes, bool block, std::size_t* received) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto& mailbox = mailboxes_[{from, to, static_cast<int>(tag)}];
  if (block) arrived_.wait(lock, [&] { return !mailbox.empty(); });
  if (mailbox.empty()) return false;
  std::vector<std::byte> message = std::move(mailbox.front());
  mailbox.pop_front();
  lock.unlock();
  if (received && message.size() <= bytes) {
    *received = message.size();
    bytes = message.size();
  } else if (message.size() != bytes) {
    throw Error(ErrorCode::Mismatch, "rank " + std::to_string(to) + " expected " + std::to_string(bytes) +
                                         " bytes from rank " + std::to_string(from) + " but " +
                                         std::to_string(message.size()) + " arrived");
  }
  if (bytes) std::memcpy(data, message.data(), bytes);
  return true;
}

void ThreadTransport::check_peer(int peer) const {
  if (peer < 0 || peer >= size()) {
    throw Error(ErrorCode::InvalidArgument, "peer rank " + std::to_string(peer) + " is outside the group");
  }
}

std::unique_ptr<Transfer> ThreadTransport::send(int peer, const void* data, std::size_t bytes, Tag tag) {
  check_peer(peer);
  fabric_->deliver(rank_, peer, tag, data, bytes);
  return std::make_unique<CompletedTransfer>();
}

std::unique_ptr<Transfer> ThreadTransport::recv(int peer, void* data, std::size_t bytes, Tag tag) {
  check_peer(peer);
  return std::make_unique<ThreadReceive>(*fabric_, peer, rank_, tag, data, bytes);
}

std::unique_ptr<Transfer> ThreadTransport::recv_up_to(int peer, void* data, std::size_t capacity, Tag tag,
                                                      std::size_t& received) {
  check_peer(peer);
  return std::make_unique<ThreadReceive>(*fabric_, peer, rank_, tag, data, capacity, &received);
}

}  // namespace ronde::testing
