#include "support/thread_ranks.h"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "support/thread_transport.h"

namespace ronde::testing {

namespace {

// `logs` null: each rank logs with the default Logger.
void run_ranks_with(int size, std::vector<std::ostringstream>* logs, const std::function<void(Context&)>& body) {
  auto fabric = std::make_shared<ThreadFabric>(size);
  std::mutex mutex;
  std::exception_ptr first_error;
  std::vector<std::thread> threads;
  for (int rank = 0; rank < size; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        Topology topology;
        topology.rank = topology.local_rank = rank;
        topology.size = topology.local_size = size;
        Logger logger = logs ? Logger(LogLevel::Warn, "ronde", &(*logs)[static_cast<std::size_t>(rank)]) : Logger();
        Context context(std::make_unique<ThreadTransport>(fabric, rank), topology, std::move(logger));
        body(context);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!first_error) first_error = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace

void run_ranks(int size, const std::function<void(Context&)>& body) { run_ranks_with(size, nullptr, body); }

void run_ranks(int size, std::vector<std::ostringstream>& logs, const std::function<void(Context&)>& body) {
  logs = std::vector<std::ostringstream>(static_cast<std::size_t>(size));
  run_ranks_with(size, &logs, body);
}

}  // namespace ronde::testing
