// The MPI side the benchmarks that measure over MPI ranks share (allreduce_bench,
// collectives_bench): starting up, the time reported for an iteration, and naming the MPI library.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/bench_format.h"
#include "ronde/core/context.h"

namespace ronde::bench {

// Whether this process is the one to print before MPI is up: rank 0 under mpirun (from
// OMPI_COMM_WORLD_RANK or PMIX_RANK), or a process started without it.
bool is_first_process();

// Runs `body` with a ronde Context, and MPI initialised, for the whole of it (MPI_Init here when
// the process was started without mpirun), and returns its status. Every rank leaves together. An
// exception out of `body` aborts the job; one out of starting ronde returns 1. Messages go to
// stderr, prefixed with `program`.
int run_with_ronde(int* argc, char*** argv, const char* program, const std::function<int(ronde::Context&)>& body);

// Collective over MPI_COMM_WORLD, every rank passing its own times of the same iterations: per
// iteration the slowest rank's time (MAX over ranks), and the Result of their median for a message
// of `bytes`, busbw = algbw * `busbw_factor`.
Result summarize(const std::vector<double>& local_seconds, std::size_t bytes, double busbw_factor);

// The MPI library's name and version up to its first comma, e.g. "Open MPI v4.1.4".
std::string mpi_library_version();

}  // namespace ronde::bench
