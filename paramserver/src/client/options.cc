// ClientOptions::from_env (the RONDE_PS_* knobs of include/ronde/ps/client.h) and the checks every
// Client applies to its options before connecting.
#include "client/options.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "common/wire.h"
#include "ronde/core/error.h"
#include "ronde/core/topology.h"
#include "ronde/ps/client.h"

namespace ronde::ps {
namespace {

std::vector<std::string> split_servers(std::string_view text) {
  std::vector<std::string> servers;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find(',', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(begin, end - begin);
    const auto first = item.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      const auto last = item.find_last_not_of(" \t");
      servers.emplace_back(item.substr(first, last - first + 1));
    }
    begin = end + 1;
  }
  return servers;
}

std::chrono::milliseconds seconds_knob(const Environment& env, std::string_view name, std::chrono::milliseconds fallback) {
  const double seconds = env.get_double(name, static_cast<double>(fallback.count()) / 1000.0);
  if (!std::isfinite(seconds) || seconds < 0) {
    throw Error(ErrorCode::InvalidArgument, std::string(name) + "=" + std::to_string(seconds) +
                                                " is not a non-negative number of seconds");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

// This process's (rank, size) as its launcher describes it, without initialising MPI: Open MPI's
// and PMI's variables, then torchrun-style RANK/WORLD_SIZE. nullopt for a process nothing launched.
std::optional<std::pair<std::int64_t, std::int64_t>> launcher_rank_and_size(const Environment& env) {
  const std::pair<const char*, const char*> mpi_pairs[] = {
      {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"}, {"PMI_RANK", "PMI_SIZE"}};
  for (const auto& [rank_name, size_name] : mpi_pairs) {
    const auto rank = env.get_int(rank_name);
    const auto size = env.get_int(size_name);
    if (rank && size) return std::pair{*rank, *size};
  }
  if (const auto topology = topology_from_launcher_env(env)) return std::pair{std::int64_t{topology->rank}, std::int64_t{topology->size}};
  return std::nullopt;
}

std::uint32_t worker_knob(std::int64_t value, std::string_view what) {
  if (value < 0 || value > static_cast<std::int64_t>(UINT32_MAX)) {
    throw Error(ErrorCode::InvalidArgument, std::string(what) + "=" + std::to_string(value) + " is out of range");
  }
  return static_cast<std::uint32_t>(value);
}

}  // namespace

ClientOptions ClientOptions::from_env(const Environment& env) {
  ClientOptions options;
  if (auto servers = env.get("RONDE_PS_SERVERS")) options.servers = split_servers(*servers);

  if (const auto launched = launcher_rank_and_size(env)) {
    options.worker = worker_knob(launched->first, "the launcher's rank");
    options.workers = worker_knob(launched->second, "the launcher's size");
  }
  if (const auto worker = env.get_int("RONDE_PS_WORKER")) options.worker = worker_knob(*worker, "RONDE_PS_WORKER");
  if (const auto workers = env.get_int("RONDE_PS_WORKERS")) options.workers = worker_knob(*workers, "RONDE_PS_WORKERS");

  if (auto tls = env.get("RONDE_PS_TLS")) options.tls.mode = parse_tls_mode(*tls);
  options.tls.ca_file = env.get_string("RONDE_PS_CA", "");
  options.tls.cert_file = env.get_string("RONDE_PS_CERT", "");
  options.tls.key_file = env.get_string("RONDE_PS_KEY", "");
  if (auto token_file = env.get("RONDE_PS_TOKEN_FILE"); token_file && !token_file->empty()) {
    options.token = read_token_file(*token_file);
  }

  options.partition_bytes = env.get_bytes("RONDE_PS_PARTITION_BYTES", options.partition_bytes);
  options.chunk_bytes = env.get_bytes("RONDE_PS_CHUNK_BYTES", options.chunk_bytes);
  options.call_timeout = seconds_knob(env, "RONDE_PS_CALL_TIMEOUT_S", options.call_timeout);
  options.wait_timeout = seconds_knob(env, "RONDE_PS_WAIT_TIMEOUT_S", options.wait_timeout);
  options.retry_budget = seconds_knob(env, "RONDE_PS_RETRY_SECONDS", options.retry_budget);
  const std::int64_t threads = env.get_int("RONDE_PS_CLIENT_THREADS", options.threads);
  if (threads < 1 || threads > 1024) {
    throw Error(ErrorCode::InvalidArgument, "RONDE_PS_CLIENT_THREADS=" + std::to_string(threads) + " is not in 1..1024");
  }
  options.threads = static_cast<int>(threads);
  const std::int64_t connections = env.get_int("RONDE_PS_CONNECTIONS", options.connections);
  if (connections < 1 || connections > client::kMaxConnections) {
    throw Error(ErrorCode::InvalidArgument, "RONDE_PS_CONNECTIONS=" + std::to_string(connections) + " is not in 1.." +
                                                std::to_string(client::kMaxConnections));
  }
  options.connections = static_cast<int>(connections);
  return options;
}

namespace client {

void validate(const ClientOptions& options) {
  auto invalid = [](const std::string& message) { throw Error(ErrorCode::InvalidArgument, "ps::Client: " + message); };
  if (options.servers.empty()) invalid("no parameter servers given (ClientOptions::servers, RONDE_PS_SERVERS)");
  for (const auto& server : options.servers) {
    if (server.empty()) invalid("an empty server address in the server list");
  }
  if (options.workers == 0) invalid("workers must be at least 1");
  if (options.worker >= options.workers) {
    invalid("worker " + std::to_string(options.worker) + " is not below workers = " + std::to_string(options.workers));
  }
  if (options.partition_bytes == 0) invalid("partition_bytes must be > 0");
  if (options.chunk_bytes == 0 || options.chunk_bytes > wire::kMaxChunkBytes) {
    invalid("chunk_bytes = " + std::to_string(options.chunk_bytes) + " is not in 1.." + std::to_string(wire::kMaxChunkBytes));
  }
  if (options.threads < 1) invalid("threads must be at least 1");
  if (options.connections < 1 || options.connections > kMaxConnections) {
    invalid("connections = " + std::to_string(options.connections) + " is not in 1.." + std::to_string(kMaxConnections));
  }
  if (options.call_timeout.count() <= 0 || options.wait_timeout.count() <= 0) invalid("timeouts must be > 0");
  if (options.retry_budget.count() < 0) invalid("retry_budget must be >= 0");
  if (options.initial_backoff.count() <= 0 || options.max_backoff < options.initial_backoff) {
    invalid("backoff must satisfy 0 < initial_backoff <= max_backoff");
  }
}

}  // namespace client
}  // namespace ronde::ps
