// Runs a function as `size` ranks, each a thread with its own Context over a ThreadTransport.
#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ronde/core/context.h"

namespace ronde::testing {

// Calls body(context) on every rank concurrently and returns when all are done. An exception on
// any rank is rethrown (the first one) after all threads have finished.
void run_ranks(int size, const std::function<void(Context&)>& body);
// The same, with each rank's log lines (warnings and above) going to logs[rank], which this
// resizes to `size` streams.
void run_ranks(int size, std::vector<std::ostringstream>& logs, const std::function<void(Context&)>& body);
// The same, as hosts.size() ranks where rank r says it runs on host hosts[r] (topology's hosts,
// host, local and cross fields filled as a launcher would), for the topology-aware algorithms.
void run_ranks_on_hosts(const std::vector<std::string>& hosts, const std::function<void(Context&)>& body);

}  // namespace ronde::testing
