// An in-process Transport: ranks are threads of one process and messages are copied through
// per-link mailboxes. Sends complete at once (the bytes are copied); receives complete when the
// matching message has arrived. It lets the algorithms be tested on many ranks and sizes without
// mpirun, in the style of running ranks as threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "ronde/core/transport.h"

namespace ronde::testing {

// The shared mailboxes of a group of `size` ranks.
class ThreadFabric {
 public:
  explicit ThreadFabric(int size) : size_(size) {}
  int size() const { return size_; }

  void deliver(int from, int to, Tag tag, const void* data, std::size_t bytes);
  // Takes the oldest message on the link into `data`; false if none has arrived (when !block).
  // `received` null: the message must be exactly `bytes` long; otherwise at most `bytes`, and its
  // size is stored there.
  bool take(int from, int to, Tag tag, void* data, std::size_t bytes, bool block, std::size_t* received = nullptr);

 private:
  using Link = std::tuple<int, int, int>;
  int size_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<Link, std::deque<std::vector<std::byte>>> mailboxes_;
};

class ThreadTransport final : public Transport {
 public:
  ThreadTransport(std::shared_ptr<ThreadFabric> fabric, int rank) : fabric_(std::move(fabric)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return fabric_->size(); }
  std::unique_ptr<Transfer> send(int peer, const void* data, std::size_t bytes, Tag tag) override;
  std::unique_ptr<Transfer> recv(int peer, void* data, std::size_t bytes, Tag tag) override;
  std::unique_ptr<Transfer> recv_up_to(int peer, void* data, std::size_t capacity, Tag tag,
                                       std::size_t& received) override;

 private:
  void check_peer(int peer) const;
  std::shared_ptr<ThreadFabric> fabric_;
  int rank_;
};

}  // namespace ronde::testing
