#include "gloo_connect.h"

#include <mpi.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/transport/tcp/device.h>

namespace ronde::bench {

std::shared_ptr<gloo::Context> connect_gloo(int rank, int size, const char* program) {
  std::array<char, 256> dir{};
  if (rank == 0) {
    char templ[] = "/tmp/ronde-bench-gloo-XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
      std::fprintf(stderr, "%s: mkdtemp(%s) failed: %s\n", program, templ, std::strerror(errno));
    } else {
      std::snprintf(dir.data(), dir.size(), "%s", templ);
    }
  }
  MPI_Bcast(dir.data(), static_cast<int>(dir.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  if (dir[0] == '\0') throw std::runtime_error("no rendezvous directory for gloo");

  gloo::transport::tcp::attr attr;
  attr.hostname = "127.0.0.1";
  attr.ai_family = AF_INET;
  auto device = gloo::transport::tcp::CreateDevice(attr);
  auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
  context->setTimeout(std::chrono::minutes(5));
  {
    gloo::rendezvous::FileStore store(dir.data());
    context->connectFullMesh(store, device);
  }
  // Every rank is connected: the store's files are no longer needed.
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir.data(), ec);
  }
  return context;
}

}  // namespace ronde::bench
