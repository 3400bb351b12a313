#include "ronde/core/topology.h"

#include <unistd.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "ronde/core/error.h"

namespace ronde {

namespace {

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::InvalidArgument, message); }

// "NAME='value'", the way every launcher error quotes a variable.
std::string quoted(std::string_view name, std::int64_t value) {
  return std::string(name) + "='" + std::to_string(value) + "'";
}

// "[lo, hi)" for range messages.
std::string range(int low, int high) { return "[" + std::to_string(low) + ", " + std::to_string(high) + ")"; }

// Checks that `index` lies in [0, count); the names describe both numbers in the message.
void check_index(std::string_view origin, std::string_view index_name, int index, std::string_view count_name,
                 int count) {
  if (index < 0 || index >= count) {
    invalid(std::string(origin) + ": " + std::string(index_name) + " " + std::to_string(index) +
            " is outside " + range(0, count) + " given by " + std::string(count_name) + " " +
            std::to_string(count));
  }
}

// An integer variable that must fit in an int; nullopt when unset.
std::optional<int> read_int(const Environment& env, std::string_view name) {
  const std::optional<std::int64_t> value = env.get_int(name);
  if (!value) return std::nullopt;
  if (*value < std::numeric_limits<int>::min() || *value > std::numeric_limits<int>::max()) {
    invalid(quoted(name, *value) + " is out of range for a rank or size");
  }
  return static_cast<int>(*value);
}

// Reads a pair of variables that must be set together (RANK/WORLD_SIZE, LOCAL_RANK/LOCAL_WORLD_SIZE).
// Returns nullopt when both are unset; one without the other is an error naming the missing one.
struct IndexAndCount {
  int index;
  int count;
};
std::optional<IndexAndCount> read_pair(const Environment& env, std::string_view index_name,
                                       std::string_view count_name) {
  const std::optional<int> index = read_int(env, index_name);
  const std::optional<int> count = read_int(env, count_name);
  if (!index && !count) return std::nullopt;
  if (!count) {
    invalid(quoted(index_name, *index) + " is set but " + std::string(count_name) +
            " is not; a launcher must set both");
  }
  if (!index) {
    invalid(quoted(count_name, *count) + " is set but " + std::string(index_name) +
            " is not; a launcher must set both");
  }
  if (*count < 1) invalid(quoted(count_name, *count) + " must be at least 1");
  if (*index < 0 || *index >= *count) {
    invalid(quoted(index_name, *index) + " is outside " + range(0, *count) + " given by " +
            quoted(count_name, *count));
  }
  return IndexAndCount{*index, *count};
}

// MASTER_ADDR[:MASTER_PORT], or "" when MASTER_ADDR is unset. MASTER_PORT, when set, must be a
// TCP port (1..65535) even without MASTER_ADDR. An IPv6 address is bracketed so the port stays
// unambiguous.
std::string read_master_address(const Environment& env) {
  const std::optional<std::string> address = env.get("MASTER_ADDR");
  const std::optional<std::int64_t> port = env.get_int("MASTER_PORT");
  if (port && (*port < 1 || *port > 65535)) invalid(quoted("MASTER_PORT", *port) + " is not a TCP port (1..65535)");
  if (!address) return {};
  if (address->empty()) invalid("MASTER_ADDR='' is empty; it must name the rendezvous host");
  std::string host = *address;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return port ? host + ":" + std::to_string(*port) : host;
}

}  // namespace

std::string_view to_string(TopologySource source) {
  switch (source) {
    case TopologySource::Single: return "single";
    case TopologySource::Mpi: return "mpi";
    case TopologySource::Environment: return "environment";
    case TopologySource::SageMaker: return "sagemaker";
  }
  return "unknown";
}

std::string Topology::describe() const {
  return "rank " + std::to_string(rank) + "/" + std::to_string(size) + " (local " + std::to_string(local_rank) +
         "/" + std::to_string(local_size) + ", host " + std::to_string(cross_rank) + "/" +
         std::to_string(cross_size) + (host.empty() ? "" : " " + host) + ", from " +
         std::string(to_string(source)) + ")";
}

namespace {

// "0", "0, 1", "0-3", "0-3, 7": runs of consecutive numbers shortened.
std::string compress_ranks(const std::vector<int>& ranks, std::size_t begin, std::size_t end) {
  std::string text;
  for (std::size_t i = begin; i < end;) {
    std::size_t j = i;
    while (j + 1 < end && ranks[j + 1] == ranks[j] + 1) ++j;
    if (!text.empty()) text += ", ";
    text += std::to_string(ranks[i]);
    if (j > i) text += (j == i + 1 ? ", " : "-") + std::to_string(ranks[j]);
    i = j + 1;
  }
  return text;
}

}  // namespace

std::string Topology::rank_name(int which) const { return ranks_phrase({which}); }

std::string Topology::ranks_phrase(const std::vector<int>& ranks) const {
  auto host_of = [&](int r) -> std::string_view {
    return r >= 0 && static_cast<std::size_t>(r) < hosts.size() ? std::string_view(hosts[static_cast<std::size_t>(r)])
                                                                 : std::string_view();
  };
  if (ranks.empty()) return "no ranks";
  std::string text = ranks.size() == 1 ? "rank " : "ranks ";
  // Consecutive entries on one host form a group: "0-1 (h1), 2-3 (h2)".
  for (std::size_t begin = 0; begin < ranks.size();) {
    std::size_t end = begin + 1;
    while (end < ranks.size() && host_of(ranks[end]) == host_of(ranks[begin])) ++end;
    if (begin > 0) text += ", ";
    text += compress_ranks(ranks, begin, end);
    if (!host_of(ranks[begin]).empty()) text += " (" + std::string(host_of(ranks[begin])) + ")";
    begin = end;
  }
  return text;
}

std::string printable_host_name(std::string_view name) {
  std::string text(name.substr(0, 63));
  for (char& c : text) {
    if (c < 0x21 || c > 0x7e) c = '?';
  }
  return text;
}

std::string local_host_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) return {};
  return printable_host_name(buffer.data());
}

void Topology::validate(std::string_view origin) const {
  const std::string where(origin);
  if (size < 1) invalid(where + ": size " + std::to_string(size) + " must be at least 1");
  if (local_size < 1) invalid(where + ": local size " + std::to_string(local_size) + " must be at least 1");
  if (cross_size < 1) invalid(where + ": host count " + std::to_string(cross_size) + " must be at least 1");
  check_index(where, "rank", rank, "size", size);
  check_index(where, "local rank", local_rank, "local size", local_size);
  check_index(where, "host index", cross_rank, "host count", cross_size);
  if (local_size > size) {
    invalid(where + ": local size " + std::to_string(local_size) + " exceeds size " + std::to_string(size));
  }
  if (!hosts.empty() && hosts.size() != static_cast<std::size_t>(size)) {
    invalid(where + ": " + std::to_string(hosts.size()) + " host names for " + std::to_string(size) + " ranks");
  }
  if (cross_size > size) {
    invalid(where + ": host count " + std::to_string(cross_size) + " exceeds size " + std::to_string(size));
  }
  // Every other host runs at least one process besides the local_size on this one.
  if (static_cast<std::int64_t>(local_size) + cross_size - 1 > size) {
    invalid(where + ": " + std::to_string(local_size) + " processes on this host and " +
            std::to_string(cross_size - 1) + " other host(s) need more than size " + std::to_string(size));
  }
}

std::optional<Topology> topology_from_launcher_env(const Environment& env) {
  const std::optional<IndexAndCount> global = read_pair(env, "RANK", "WORLD_SIZE");
  if (!global) return std::nullopt;
  const IndexAndCount local = read_pair(env, "LOCAL_RANK", "LOCAL_WORLD_SIZE").value_or(IndexAndCount{0, 1});

  if (local.count > global->count) {
    invalid(quoted("LOCAL_WORLD_SIZE", local.count) + " exceeds " + quoted("WORLD_SIZE", global->count));
  }
  if (global->count % local.count != 0) {
    invalid(quoted("WORLD_SIZE", global->count) + " is not a multiple of " + quoted("LOCAL_WORLD_SIZE", local.count) +
            "; every host must run the same number of processes");
  }

  Topology topology;
  topology.rank = global->index;
  topology.size = global->count;
  topology.local_rank = local.index;
  topology.local_size = local.count;
  topology.cross_rank = global->index / local.count;
  topology.cross_size = global->count / local.count;
  topology.source = TopologySource::Environment;
  topology.master_address = read_master_address(env);
  topology.validate("RANK/WORLD_SIZE/LOCAL_RANK/LOCAL_WORLD_SIZE");
  return topology;
}

}  // namespace ronde
