#include "support/thread_ranks.h"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "support/thread_transport.h"

namespace ronde::testing {

void run_ranks(int size, const std::function<void(Context&)>& body) {
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
        Context context(std::make_unique<ThreadTransport>(fabric, rank), topology);
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

}  // namespace ronde::testing
