// Helpers of the client tests: a job's servers as real processes, client options tuned for tests,
// and workers as threads (each with its own ronde::ps::Client).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ps/support/server_process.h"
#include "ronde/ps/client.h"

namespace ronde::ps::testing {

// `count` servers of one job: each started with --shard i --shards count and `flags`.
class ServerGroup {
 public:
  ServerGroup(int count, const std::vector<std::string>& flags);
  int size() const { return static_cast<int>(servers_.size()); }
  ServerProcess& operator[](int i) { return *servers_.at(static_cast<std::size_t>(i)); }
  std::vector<std::string> addresses() const;
  // The tail of every server's log, for failure messages.
  std::string logs() const;

 private:
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

// Options for worker `worker` of `workers`: short backoffs, a retry budget that outlasts a server
// restart, two call threads (the machine running the tests is small).
ClientOptions client_options(std::vector<std::string> servers, std::uint32_t worker, std::uint32_t workers);

// Runs body(worker) for worker = 0 .. workers-1 on their own threads and joins them; rethrows the
// first exception any of them threw.
void run_workers(std::uint32_t workers, const std::function<void(std::uint32_t worker)>& body);

}  // namespace ronde::ps::testing
