// Gloo's connection for the benchmarks that compare against it. Built only when Gloo is found, into
// ronde_bench_mpi, whose users then get RONDE_BENCH_WITH_GLOO defined.
#pragma once

#include <memory>

#include <gloo/context.h>

namespace ronde::bench {

// Connects all of MPI_COMM_WORLD (collective: every rank calls it, MPI initialised) through Gloo's
// TCP transport on loopback (127.0.0.1). Rendezvous goes through a FileStore in a fresh directory
// under /tmp that rank 0 creates and broadcasts, and removes once every rank is connected. Throws
// std::runtime_error on every rank when rank 0 could not create it (rank 0 first says why on
// stderr, prefixed with `program`).
std::shared_ptr<gloo::Context> connect_gloo(int rank, int size, const char* program);

}  // namespace ronde::bench
