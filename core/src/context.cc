#include "ronde/core/context.h"

#include <mpi.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "mpi_transport.h"
#include "peer_watch.h"
#include "ronde/core/error.h"

namespace ronde {

namespace {

// The transport of a one-rank group: collectives never need to send anything, so any use is a
// caller error.
class SingleRankTransport final : public Transport {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::unique_ptr<Transfer> send(int peer, const void*, std::size_t, Tag) override { return no_peer(peer); }
  std::unique_ptr<Transfer> recv(int peer, void*, std::size_t, Tag) override { return no_peer(peer); }
  std::unique_ptr<Transfer> recv_up_to(int peer, void*, std::size_t, Tag, std::size_t&) override { return no_peer(peer); }

 private:
  [[noreturn]] static std::unique_ptr<Transfer> no_peer(int peer) {
    throw Error(ErrorCode::InvalidArgument,
                "rank 0 of a single-process group has no peer rank " + std::to_string(peer));
  }
};

bool launched_by_mpi(const Environment& env) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  return initialized || env.get("OMPI_COMM_WORLD_SIZE") || env.get("PMIX_RANK") || env.get("PMI_RANK");
}

InitOptions::Launcher parse_launcher(const std::string& text) {
  if (text == "auto") return InitOptions::Launcher::Auto;
  if (text == "mpi") return InitOptions::Launcher::Mpi;
  if (text == "env") return InitOptions::Launcher::Environment;
  if (text == "single") return InitOptions::Launcher::Single;
  throw Error(ErrorCode::InvalidArgument, "RONDE_LAUNCHER='" + text + "' is not one of auto, mpi, env, single");
}

// Initialises MPI when nobody has; returns whether this call did (and so must finalise it).
bool ensure_mpi_initialized() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) throw Error(ErrorCode::Unavailable, "MPI has already been finalised in this process");
  if (initialized) return false;
  int provided = 0;
  // The engine's background thread and the program may both communicate: ask for full thread support.
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
    throw Error(ErrorCode::Unavailable, "MPI_Init_thread failed");
  }
  return true;
}

int comm_rank(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}
int comm_size(MPI_Comm comm) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  return size;
}

// Every rank's host name (fixed 64-byte records, so one MPI_Allgather), index = rank.
std::vector<std::string> gather_host_names(const std::string& mine, int size) {
  constexpr int kRecord = 64;  // local_host_name() keeps at most 63 characters
  std::array<char, kRecord> record{};
  mine.copy(record.data(), kRecord - 1);
  std::vector<char> all(static_cast<std::size_t>(size) * kRecord);
  MPI_Allgather(record.data(), kRecord, MPI_CHAR, all.data(), kRecord, MPI_CHAR, MPI_COMM_WORLD);
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    const char* name = &all[static_cast<std::size_t>(r) * kRecord];
    names.push_back(printable_host_name(std::string_view(name, ::strnlen(name, kRecord))));
  }
  return names;
}

// Rank and size from MPI; local = the ranks sharing this node's memory; cross = the ranks with the
// same local rank on other nodes (one per node when every node runs the same number of ranks).
Topology mpi_topology() {
  Topology topology;
  topology.source = TopologySource::Mpi;
  topology.rank = comm_rank(MPI_COMM_WORLD);
  topology.size = comm_size(MPI_COMM_WORLD);
  MPI_Comm local = MPI_COMM_NULL, cross = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, topology.rank, MPI_INFO_NULL, &local);
  topology.local_rank = comm_rank(local);
  topology.local_size = comm_size(local);
  MPI_Comm_split(MPI_COMM_WORLD, topology.local_rank, topology.rank, &cross);
  topology.cross_rank = comm_rank(cross);
  topology.cross_size = comm_size(cross);
  MPI_Comm_free(&local);
  MPI_Comm_free(&cross);
  topology.host = local_host_name();
  topology.hosts = gather_host_names(topology.host, topology.size);
  return topology;
}

// The peer watch of an MPI job with several ranks (collective: every rank decides the same way,
// since the timeout and the thread level come from the same launch). Null when turned off, for
// one rank, or when MPI was initialised without MPI_THREAD_MULTIPLE (the watch has its own thread).
std::shared_ptr<PeerWatch> start_peer_watch(const Topology& topology, std::chrono::milliseconds timeout,
                                            const Logger& log) {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  if (topology.size < 2 || timeout.count() <= 0 || level != MPI_THREAD_MULTIPLE) return nullptr;
  return std::make_shared<PeerWatch>(MPI_COMM_WORLD, topology,
                                     PeerWatch::Options{timeout, PeerWatch::interval_for(timeout)}, log);
}

// A launcher variable that disagrees with MPI means two launchers are stacked or a script sets
// stale values: say so instead of silently picking one.
void check_env_agrees_with_mpi(const Environment& env, const Topology& topology) {
  auto check = [&](const char* name, int actual) {
    auto value = env.get_int(name);
    if (value && *value != actual) {
      throw Error(ErrorCode::InvalidArgument, std::string(name) + "=" + std::to_string(*value) +
                                                  " contradicts mpirun, which launched this process as " +
                                                  topology.describe());
    }
  };
  check("WORLD_SIZE", topology.size);
  check("RANK", topology.rank);
}

// "ronde 2/4 h1": rank, size and host name, so that lines gathered from many hosts say where they
// were written (a single process leaves its host out: "ronde 0/1").
std::string log_prefix(const Topology& topology) {
  const bool name_host = topology.size > 1 && !topology.host.empty();
  return "ronde " + std::to_string(topology.rank) + "/" + std::to_string(topology.size) +
         (name_host ? " " + topology.host : "");
}

}  // namespace

struct Context::Impl {
  Topology topology;
  Logger logger;
  std::shared_ptr<PeerWatch> watch;  // MPI with several ranks, unless turned off
  std::unique_ptr<Transport> transport;
  std::string no_transport_reason;
  std::optional<SageMakerConfig> sagemaker;
  bool finalize_mpi = false;

  ~Impl() {
    // MPI_Finalize waits for every process: after a lost rank it would never return.
    const bool lost = watch && watch->any_lost();
    transport.reset();  // frees its MPI communicator before MPI goes away
    watch.reset();      // says goodbye to its neighbours, stops its thread
    if (finalize_mpi && !lost) MPI_Finalize();
  }
};

InitOptions InitOptions::from_env(const Environment& env) {
  InitOptions options;
  if (auto level = env.get("RONDE_LOG_LEVEL")) options.log_level = parse_log_level(*level);
  if (auto root = env.get("RONDE_SAGEMAKER_ROOT")) options.sagemaker_root = *root;
  if (auto launcher = env.get("RONDE_LAUNCHER")) options.launcher = parse_launcher(*launcher);
  if (auto seconds = env.get("RONDE_PEER_TIMEOUT_S")) {
    const double value = parse_double(*seconds, "RONDE_PEER_TIMEOUT_S");
    if (!(value >= 0 && value <= 86400)) {
      throw Error(ErrorCode::InvalidArgument, "RONDE_PEER_TIMEOUT_S='" + *seconds + "' must be 0 (off) .. 86400 seconds");
    }
    options.peer_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(value * 1000));
  }
  return options;
}

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Context::Context(std::unique_ptr<Transport> transport, Topology topology, Logger logger)
    : impl_(std::make_unique<Impl>()) {
  if (!transport) throw Error(ErrorCode::InvalidArgument, "Context: transport is null");
  topology.validate("Context topology");
  if (transport->rank() != topology.rank || transport->size() != topology.size) {
    throw Error(ErrorCode::InvalidArgument,
                "Context: transport is rank " + std::to_string(transport->rank()) + " of " +
                    std::to_string(transport->size()) + " but the topology says " + topology.describe());
  }
  impl_->topology = std::move(topology);
  impl_->logger = std::move(logger);
  impl_->transport = std::move(transport);
}

Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

const Topology& Context::topology() const { return impl_->topology; }
const Logger& Context::log() const { return impl_->logger; }
const std::optional<SageMakerConfig>& Context::sagemaker() const { return impl_->sagemaker; }

Transport& Context::transport() {
  if (!impl_->transport) throw Error(ErrorCode::Unavailable, impl_->no_transport_reason);
  return *impl_->transport;
}

Context init(const InitOptions& options) {
  const Environment& env = options.environment ? *options.environment : Environment::process();
  auto impl = std::make_unique<Context::Impl>();
  impl->sagemaker = SageMakerConfig::detect(env, options.sagemaker_root);

  InitOptions::Launcher launcher = options.launcher;
  if (launcher == InitOptions::Launcher::Auto) {
    if (launched_by_mpi(env)) launcher = InitOptions::Launcher::Mpi;
    else if (env.get("RANK") || env.get("WORLD_SIZE")) launcher = InitOptions::Launcher::Environment;
    else launcher = InitOptions::Launcher::Single;
  }

  switch (launcher) {
    case InitOptions::Launcher::Mpi:
      impl->finalize_mpi = ensure_mpi_initialized();
      impl->topology = mpi_topology();
      check_env_agrees_with_mpi(env, impl->topology);
      impl->watch = start_peer_watch(impl->topology, options.peer_timeout,
                                     Logger(options.log_level, log_prefix(impl->topology)));
      impl->transport = std::make_unique<MpiTransport>(MPI_COMM_WORLD, impl->watch);
      break;
    case InitOptions::Launcher::Environment: {
      auto topology = topology_from_launcher_env(env);
      if (!topology) {
        throw Error(ErrorCode::InvalidArgument, "RONDE_LAUNCHER=env but neither RANK nor WORLD_SIZE is set");
      }
      impl->topology = *topology;
      break;
    }
    case InitOptions::Launcher::Single:
    case InitOptions::Launcher::Auto:
      impl->topology = impl->sagemaker ? impl->sagemaker->topology() : Topology{};
      break;
  }
  if (impl->topology.host.empty()) impl->topology.host = local_host_name();
  impl->topology.validate("ronde::init");
  if (!impl->transport && impl->topology.size == 1) impl->transport = std::make_unique<SingleRankTransport>();
  if (!impl->transport) {
    impl->no_transport_reason = "this process is " + impl->topology.describe() +
                                ", but host collectives run over MPI: launch the job with mpirun "
                                "(or another MPI launcher) to communicate between ranks";
  }
  impl->logger = Logger(options.log_level, log_prefix(impl->topology));
  impl->logger.debug("initialised: ", impl->topology.describe());
  return Context(std::move(impl));
}

}  // namespace ronde
