// The Transport over MPI point-to-point (MPI_Isend / MPI_Irecv on a private duplicate of a
// communicator, so ronde's messages never match the program's own).
//
// With a PeerWatch, waiting never outlasts a lost rank: a wait polls its transfer and fails with
// Error(Unavailable) naming the lost ranks as soon as the watch knows of one (without a watch it
// blocks in MPI_Waitall, as long as MPI does).
#pragma once

#include <mpi.h>

#include <memory>

#include "peer_watch.h"
#include "ronde/core/transport.h"

namespace ronde {

class MpiTransport final : public Transport {
 public:
  // Duplicates `comm` and makes MPI errors on it return codes (turned into ronde::Error). `watch`
  // (may be null) must outlive the transport.
  explicit MpiTransport(MPI_Comm comm, std::shared_ptr<const PeerWatch> watch = nullptr);
  ~MpiTransport() override;
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::unique_ptr<Transfer> send(int peer, const void* data, std::size_t bytes, Tag tag) override;
  std::unique_ptr<Transfer> recv(int peer, void* data, std::size_t bytes, Tag tag) override;
  std::unique_ptr<Transfer> recv_up_to(int peer, void* data, std::size_t capacity, Tag tag,
                                       std::size_t& received) override;
  // Open MPI's btl_tcp_eager_limit as this process's MPI reports it (MPI_T), read once.
  std::size_t eager_limit_between_hosts() const override { return eager_limit_between_hosts_; }

 private:
  void check_peer(int peer, const char* what) const;
  std::shared_ptr<const PeerWatch> watch_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  std::size_t eager_limit_between_hosts_ = 0;
};

}  // namespace ronde
