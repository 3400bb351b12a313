// Gloo's connection for the benchmarks that compare against it. Built only when Gloo is found, into
// ronde_bench_mpi, whose users then get RONDE_BENCH_WITH_GLOO defined.
#pragma once

#include <memory>
#include <string>

#include <gloo/context.h>

namespace ronde::bench {

// The IPv4 address Gloo listens on, and why it was chosen (for the benchmark's header line).
struct GlooAddress {
  std::string address;
  std::string reason;
};

// Chooses the address this rank's Gloo transport binds to, the way a multi-host job must:
//  1. GLOO_SOCKET_IFNAME (PyTorch's name for the same knob): that interface's IPv4 address;
//  2. else the interface Open MPI's TCP transport is limited to (OMPI_MCA_btl_tcp_if_include: an
//     interface name or a CIDR subnet, as `cluster.sh mpirun` and multi-host jobs set it);
//  3. else the address this host's name resolves to, when it is not a loopback address;
//  4. else 127.0.0.1 (one host).
// Throws std::runtime_error naming the variable when a named interface has no IPv4 address.
GlooAddress choose_gloo_address();

// Connects all of MPI_COMM_WORLD (collective: every rank calls it, MPI initialised) through Gloo's
// TCP transport on choose_gloo_address(). The ranks exchange their Gloo addresses over MPI (no
// shared directory, so it works across hosts). Throws std::runtime_error when the address cannot
// be chosen or the mesh cannot connect; rank 0 prints the chosen addresses' reason prefixed with
// `program`.
std::shared_ptr<gloo::Context> connect_gloo(int rank, int size, const char* program);

}  // namespace ronde::bench
