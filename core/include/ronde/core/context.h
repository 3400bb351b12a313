// ronde::init() and the Context it returns: this process's place in the job (topology), its
// logger, the transport the host collectives run on, and the SageMaker container layout if any.
//
//   ronde::Context ctx = ronde::init();
//   ctx.log().info("hello from ", ctx.topology().describe());
//
// How the topology is found (InitOptions::launcher = Auto):
//   1. launched by mpirun (OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK set, or MPI already
//      initialised by the program): MPI's world; local = processes sharing this host;
//   2. torchrun-style RANK / WORLD_SIZE / LOCAL_RANK / LOCAL_WORLD_SIZE;
//   3. a SageMaker-style container (one process per host);
//   4. otherwise a single process.
// Only MPI gives a transport for more than one rank: a multi-rank job found any other way has a
// topology but transport() throws Error(Unavailable) explaining that host collectives need mpirun.
// Under MPI a peer watch (InitOptions::peer_timeout) turns a lost rank into an Error on every
// other rank instead of a hang; after that, the Context does not finalise MPI (finalisation would
// wait for the lost rank), and the program should end with an error status.
// The Context finalises MPI when it initialised it; it is movable, not copyable.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "ronde/core/env.h"
#include "ronde/core/logging.h"
#include "ronde/core/sagemaker.h"
#include "ronde/core/topology.h"
#include "ronde/core/transport.h"

namespace ronde {

struct InitOptions {
  enum class Launcher { Auto, Mpi, Environment, Single };
  Launcher launcher = Launcher::Auto;
  LogLevel log_level = LogLevel::Warn;                 // RONDE_LOG_LEVEL
  // Under MPI with several ranks: how long a rank may be silent (no heartbeat: its process died,
  // its host went down or the network to it failed) before every rank's waits fail with
  // Error(Unavailable) naming it. Heartbeats come from a thread of their own, so a rank that is
  // merely slow is never taken for lost. 0 turns the watch off (waits then last as long as MPI's).
  // RONDE_PEER_TIMEOUT_S (seconds).
  std::chrono::milliseconds peer_timeout{30'000};
  std::filesystem::path sagemaker_root = "/opt/ml";    // RONDE_SAGEMAKER_ROOT
  const Environment* environment = nullptr;            // nullptr: the process environment

  // Defaults overridden by the RONDE_* variables of `env`.
  static InitOptions from_env(const Environment& env = Environment::process());
};

class Context {
 public:
  // A context over a caller-supplied transport (e.g. an in-process one for tests, or a program's
  // own communicator). The topology's rank and size must match the transport's.
  Context(std::unique_ptr<Transport> transport, Topology topology, Logger logger = Logger());
  ~Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const Topology& topology() const;
  int rank() const { return topology().rank; }
  int size() const { return topology().size; }
  const Logger& log() const;
  // The transport for host collectives; throws Error(Unavailable) when there is none (see above).
  Transport& transport();
  const std::optional<SageMakerConfig>& sagemaker() const;

 private:
  friend Context init(const InitOptions& options);
  struct Impl;
  explicit Context(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

Context init(const InitOptions& options = InitOptions::from_env());

}  // namespace ronde
