// ps_bench's measurements, its table on stdout and its CSV rows.
//
// CSV (bench,case,impl,ranks,bytes,metric,value): case = push_pull_<plain|tls|mtls>, impl = ronde or
// grpc, ranks = the number of servers, bytes = the model's size; metrics seconds_median (push then
// pull), push_seconds_median, pull_seconds_median and GBps ((bytes pushed + bytes pulled) / the
// median push+pull time); ratio rows: impl ronde_over_grpc (the ceiling's time over ronde's), and
// for tls/mtls ronde_over_plain and grpc_over_plain (plaintext's time over the secured one's).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace ronde::bench::ps {

struct Case {
  int servers = 1;
  std::size_t bytes = 0;
  int security = 0;  // index into security_modes()
  auto operator<=>(const Case&) const = default;
};

// Seconds of each timed iteration of one implementation.
struct Timings {
  std::vector<double> push;
  std::vector<double> pull;
};

struct Measured {
  int iters = 0;
  std::map<std::string, Timings> impls;  // "ronde", "grpc"
};

using Results = std::map<Case, Measured>;

struct ReportContext {
  std::string mode;
  std::string optimizer;
  std::size_t partition_bytes = 0;
  std::size_t chunk_bytes = 0;
  int connections = 0;  // the Client's TCP connections per server
  std::string csv;  // empty: no CSV
};

// Prints the table (and the bar's verdict at the largest size) and appends the CSV rows; false
// (with a message) when the CSV could not be written.
bool report(const ReportContext& context, const Results& results);

}  // namespace ronde::bench::ps
