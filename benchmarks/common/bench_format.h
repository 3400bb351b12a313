// Human-readable sizes and durations for the benchmarks' tables and progress lines, and the
// median they report.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ronde::bench {

// "4 B", "64 KiB", "256 MiB": in the largest unit (up to GiB) that keeps the number at least 1, when
// that number is whole. Otherwise (a size rounded to a multiple of 4n bytes, say) in bytes,
// exactly: "1048572 B", never a rounded "1024.00 KiB".
std::string human_bytes(std::size_t bytes);

// "12.3 us" below a millisecond, "4.56 ms" below a second, "1.234 s" above.
std::string human_seconds(double seconds);

// The median of `values`, which must not be empty: the mean of the middle two for an even count.
double median(std::vector<double> values);

// One implementation measured at one size, as nccl-tests measures: the median over iterations of
// the slowest rank's time; algbw = bytes / that time and busbw = algbw * the collective's factor, in
// GB/s (1e9 B/s).
struct Result {
  double seconds_median = 0;
  double algbw_GBps = 0;
  double busbw_GBps = 0;
  int iters = 0;
};

// Prints a results table on stdout: two lines of column heads (`size_title` heads the sizes), then
// a row per size with its iterations and, per implementation, its time (us), algbw and busbw; when
// "ronde" is among `impls`, then ronde's busbw over mpi's and gloo's (algbw with one rank). Ends
// with an empty line, and flushes. results[size index][impl index], in the order of `sizes` and
// `impls`.
void print_result_table(const std::string& size_title, const std::vector<std::string>& impls,
                        const std::vector<std::size_t>& sizes, const std::vector<std::vector<Result>>& results,
                        int ranks);

}  // namespace ronde::bench
