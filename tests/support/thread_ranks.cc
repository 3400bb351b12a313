#include "support/thread_ranks.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "support/thread_transport.h"

namespace ronde::testing {

namespace {

// Rank r's topology when rank i runs on hosts[i] (all on one host when `hosts` is empty).
Topology topology_of(int rank, int size, const std::vector<std::string>& hosts) {
  Topology topology;
  topology.rank = topology.local_rank = rank;
  topology.size = topology.local_size = size;
  if (hosts.empty()) return topology;
  topology.hosts = hosts;
  topology.host = hosts[static_cast<std::size_t>(rank)];
  std::vector<std::string> seen;
  topology.local_rank = topology.local_size = 0;
  for (int r = 0; r < size; ++r) {
    const std::string& host = hosts[static_cast<std::size_t>(r)];
    if (std::find(seen.begin(), seen.end(), host) == seen.end()) seen.push_back(host);
    if (host != topology.host) continue;
    if (r < rank) ++topology.local_rank;
    ++topology.local_size;
  }
  topology.cross_size = static_cast<int>(seen.size());
  topology.cross_rank = static_cast<int>(std::find(seen.begin(), seen.end(), topology.host) - seen.begin());
  return topology;
}

// `logs` null: each rank logs with the default Logger.
void run_ranks_with(int size, std::vector<std::ostringstream>* logs, const std::function<void(Context&)>& body,
                    const std::vector<std::string>& hosts = {}) {
  auto fabric = std::make_shared<ThreadFabric>(size);
  std::mutex mutex;
  std::exception_ptr first_error;
  std::vector<std::thread> threads;
  for (int rank = 0; rank < size; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        const Topology topology = topology_of(rank, size, hosts);
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

void run_ranks_on_hosts(const std::vector<std::string>& hosts, const std::function<void(Context&)>& body) {
  run_ranks_with(static_cast<int>(hosts.size()), nullptr, body, hosts);
}

}  // namespace ronde::testing
