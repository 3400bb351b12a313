// ps_bench: parameter-server push+pull throughput against its ceiling, a bare gRPC stream of the
// same bytes over the same kind of channel, in one run.
//
//   build/benchmarks/ps_bench [--sizes 1M,16M,128M] [--servers 1,2] [--security plain,tls,mtls]
//       [--iters N] [--warmup N] [--quick] [--mode async] [--optimizer sum]
//       [--partition-bytes 2M] [--chunk-bytes 4M] [--connections N] [--impls ronde,grpc] [--server-binary PATH]
//       [--certs DIR] [--csv bench-results/ps.csv] [--server-hosts H,... --launcher 'CMD {host} ...']
//
// scripts/bench.sh ps runs it. For every server count it starts, for each security mode, that many
// real ronde-ps-server processes and as many raw servers (this program, --raw-server), all on
// loopback and all at once; then for every model size it runs rounds in which each (security mode,
// implementation) pair goes once, in an order rotating from round to round:
//   ronde: Client::push_pull of one float32 tensor of that size (the ShardMap splits it into
//          partitions spread over the servers): the push streams the gradient in, the server
//          applies it, the pull streams the values back;
//   grpc:  the ceiling: the same bytes (split evenly over the servers, concurrently) uploaded in
//          one client stream per server, then downloaded in one server stream per server, in the
//          same chunk size, over channels made by ronde's own credentials code.
// Throughput counts both directions: (bytes pushed + bytes pulled) / seconds. Every call carries
// the bearer token (as in a real deployment); TLS uses the test certificates
// (tests/support/make_test_certs.sh). The servers run --mode async --optimizer sum by default
// (values += gradient: the least server work, so the comparison is about the transport); --mode
// and --optimizer measure others. With the sum optimizer the final values are checked.
//
// Across hosts (scripts/bench.sh cluster): --server-hosts h2,h3 puts server i (ronde's and the raw
// one) on host i mod 2, started by the --launcher command with "{host}" replaced (for example
// "scripts/cluster.sh exec {host} --", which must exec the server), listening on every interface
// and dialled by the host's name; the certificates then name those hosts too. The work directory
// (TMPDIR) must be visible on the server hosts, for the port files.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bench_args.h"
#include "common/bench_csv.h"
#include "common/bench_format.h"
#include "ps/raw_stream.h"
#include "ps/report.h"
#include "ps/setup.h"
#include "ronde/core/tensor.h"
#include "ronde/ps/client.h"

#ifndef RONDE_PS_SERVER_BINARY
#error "RONDE_PS_SERVER_BINARY must name the ronde-ps-server binary"
#endif
#ifndef RONDE_PS_MAKE_CERTS
#error "RONDE_PS_MAKE_CERTS must name tests/support/make_test_certs.sh"
#endif

namespace {

using ronde::bench::MiB;
using ronde::bench::ps::Case;
using ronde::bench::ps::Measured;
using ronde::bench::ps::ReportContext;
using ronde::bench::ps::Results;
using ronde::bench::ps::Setup;
using ronde::bench::ps::SetupOptions;
using ronde::bench::ps::security_modes;
namespace fs = std::filesystem;

struct Options {
  std::vector<std::size_t> sizes = {1 * MiB, 16 * MiB, 128 * MiB};
  std::vector<int> servers = {1, 2};
  std::vector<std::string> security = {"plain", "tls", "mtls"};
  std::optional<int> iters;
  std::optional<int> warmup;
  bool quick = false;
  std::string mode = "async";
  std::string optimizer = "sum";
  std::size_t partition_bytes = 2 * MiB;
  std::size_t chunk_bytes = 4 * MiB;
  int connections = ronde::ps::ClientOptions{}.connections;
  std::vector<std::string> impls = {"ronde", "grpc"};
  std::string server_binary = RONDE_PS_SERVER_BINARY;
  std::string certs;
  std::string csv;
  std::vector<std::string> server_hosts;
  std::vector<std::string> launcher;
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: ps_bench [--sizes 1M,16M,128M] [--servers 1,2] [--security plain,tls,mtls]\n"
               "                [--iters N] [--warmup N] [--quick] [--mode async|sync|stale]\n"
               "                [--optimizer sum|sgd|...] [--partition-bytes 2M] [--chunk-bytes 4M] [--connections N]\n"
               "                [--impls ronde,grpc] [--server-binary PATH] [--certs DIR] [--csv PATH]\n"
               "                [--server-hosts H1,H2,... --launcher 'CMD {host} ...']\n"
               "Push+pull throughput of ronde's parameter server against a bare gRPC stream of the\n"
               "same bytes (the ceiling), plaintext, TLS and mutual TLS, with real server processes:\n"
               "on loopback, or server i on host i (mod the list), started by the launcher command\n"
               "with {host} replaced (e.g. \"scripts/cluster.sh exec {host} --\").\n");
}

Options parse(int argc, char** argv) {
  Options options;
  ronde::bench::ArgCursor args(argc, argv);
  while (args.next()) {
    const auto name = args.name();
    auto value = [&] {
      const auto v = args.value();
      if (!v) throw std::runtime_error(std::string(name) + " needs a value");
      return std::string(*v);
    };
    auto size = [&] {
      const std::string text = value();
      const auto bytes = ronde::bench::parse_size(text);
      if (!bytes || *bytes == 0) throw std::runtime_error("bad size '" + text + "' for " + std::string(name));
      return *bytes;
    };
    auto count = [&](int min_value) {
      const auto n = ronde::bench::parse_int(value(), min_value);
      if (!n) throw std::runtime_error(std::string(name) + " needs a count of at least " + std::to_string(min_value));
      return *n;
    };
    if (name == "--sizes") {
      options.sizes.clear();
      for (const auto& item : ronde::bench::split_list(value())) {
        const auto bytes = ronde::bench::parse_size(item);
        if (!bytes || *bytes < 4) throw std::runtime_error("bad size '" + item + "'");
        options.sizes.push_back(*bytes / 4 * 4);
      }
    } else if (name == "--servers") {
      options.servers.clear();
      for (const auto& item : ronde::bench::split_list(value())) {
        const auto n = ronde::bench::parse_int(item, 1);
        if (!n || *n > 16) throw std::runtime_error("bad server count '" + item + "' (1 .. 16)");
        options.servers.push_back(*n);
      }
    } else if (name == "--security") {
      options.security = ronde::bench::split_list(value());
      for (const auto& item : options.security) {
        if (item != "plain" && item != "tls" && item != "mtls") {
          throw std::runtime_error("bad security mode '" + item + "' (plain, tls, mtls)");
        }
      }
    } else if (name == "--iters") {
      options.iters = count(1);
    } else if (name == "--warmup") {
      options.warmup = count(0);
    } else if (name == "--quick") {
      options.quick = true;
    } else if (name == "--mode") {
      options.mode = value();
    } else if (name == "--optimizer") {
      options.optimizer = value();
    } else if (name == "--partition-bytes") {
      options.partition_bytes = size();
    } else if (name == "--chunk-bytes") {
      options.chunk_bytes = size();
    } else if (name == "--connections") {
      options.connections = count(1);
    } else if (name == "--impls") {
      options.impls = ronde::bench::split_list(value());
      for (const auto& item : options.impls) {
        if (item != "ronde" && item != "grpc") throw std::runtime_error("bad implementation '" + item + "' (ronde, grpc)");
      }
    } else if (name == "--server-binary") {
      options.server_binary = value();
    } else if (name == "--certs") {
      options.certs = value();
    } else if (name == "--csv") {
      options.csv = value();
    } else if (name == "--server-hosts") {
      options.server_hosts = ronde::bench::split_list(value());
    } else if (name == "--launcher") {
      options.launcher = ronde::bench::split_words(value());
    } else if (name == "--help" || name == "-h") {
      print_usage(stdout);
      std::exit(0);
    } else {
      throw std::runtime_error("unknown argument '" + std::string(args.arg()) + "'");
    }
  }
  if (options.sizes.empty() || options.servers.empty() || options.security.empty() || options.impls.empty()) {
    throw std::runtime_error("--sizes, --servers, --security and --impls need at least one item each");
  }
  if (options.server_hosts.empty() != options.launcher.empty()) {
    throw std::runtime_error("--server-hosts and --launcher go together");
  }
  return options;
}

// Timed iterations for a model of `bytes`: about 1.25 GiB pushed per case, 10 to 30 iterations
// (loopback on shared cores is noisy: medians need that many), or 3 with --quick; --iters
// overrides.
int iterations(const Options& options, std::size_t bytes) {
  if (options.iters) return *options.iters;
  if (options.quick) return 3;
  return static_cast<int>(std::clamp<std::size_t>(1280 * MiB / bytes, 10, 30));
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Certificates and tokens: --certs DIR, or a fresh set made by make_test_certs.sh in `work`, with
// the server hosts' names in the server certificate.
std::string certificates(const Options& options, const std::string& work) {
  const std::string dir = options.certs.empty() ? work + "/certs" : options.certs;
  std::string command = std::string("'") + RONDE_PS_MAKE_CERTS + "' '" + dir + "'";
  for (const std::string& host : options.server_hosts) {
    if (host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != std::string::npos) {
      throw std::runtime_error("--server-hosts: '" + host + "' is not a host name");
    }
    command += " '" + host + "'";
  }
  if (std::system(command.c_str()) != 0) throw std::runtime_error("making test certificates failed: " + command);
  return dir;
}

// One security mode's servers and clients, started together with the others of a server count.
struct Configuration {
  int security;  // index into security_modes()
  std::unique_ptr<Setup> setup;
};

// Every size for one server count. All security modes' servers run at once, and each round times
// every (security mode, implementation) pair once, in an order that rotates from round to round:
// drift in the load of this shared machine then falls on all pairs alike, and the ratios the bar
// reads (ronde / grpc, tls / plain) compare runs made side by side.
void measure(const Options& options, std::vector<Configuration>& configurations, int servers, Results& results) {
  const bool with_ronde = ronde::bench::contains(options.impls, "ronde");
  const bool with_grpc = ronde::bench::contains(options.impls, "grpc");
  for (const std::size_t bytes : options.sizes) {
    const std::size_t elements = bytes / 4;
    // Integer-valued gradients keep the check below exact: with the sum optimizer in async mode
    // every value ends at (pushes made) * 1.
    std::vector<float> values(elements, 0.0f);
    std::vector<float> gradient(elements, 1.0f);
    std::vector<float> out(elements, -1.0f);  // touched: no page faults inside the timing
    std::vector<std::byte> raw_out(bytes, std::byte{1});
    const std::string name = "model-" + std::to_string(bytes);
    const int iters = iterations(options, bytes);
    const int warmup = options.warmup.value_or(1);

    // One timed push+pull (or upload+download) of one configuration; `timed` false: warm-up.
    std::vector<std::function<void(bool)>> runs;
    for (Configuration& configuration : configurations) {
      Setup& setup = *configuration.setup;
      Measured& measured = results[Case{servers, bytes, configuration.security}];
      measured.iters = iters;
      if (with_ronde) {
        setup.client().declare(name, ronde::Tensor::of(values)).get();
        runs.push_back([&setup, &measured, &name, &gradient, &out](bool timed) {
          const double start = now_seconds();
          setup.client().push(name, ronde::Tensor::of(gradient)).get();
          const double pushed = now_seconds();
          setup.client().pull(name, ronde::Tensor::of(out)).get();
          if (!timed) return;
          measured.impls["ronde"].push.push_back(pushed - start);
          measured.impls["ronde"].pull.push_back(now_seconds() - pushed);
        });
      }
      if (with_grpc) {
        runs.push_back([&setup, &measured, &gradient, &raw_out](bool timed) {
          const double start = now_seconds();
          setup.raw_upload(std::as_bytes(std::span(gradient)));
          const double uploaded = now_seconds();
          setup.raw_download(raw_out);
          if (!timed) return;
          measured.impls["grpc"].push.push_back(uploaded - start);
          measured.impls["grpc"].pull.push_back(now_seconds() - uploaded);
        });
      }
    }
    for (int iter = 0; iter < warmup + iters; ++iter) {
      for (std::size_t j = 0; j < runs.size(); ++j) runs[(j + static_cast<std::size_t>(iter)) % runs.size()](iter >= warmup);
    }

    if (with_ronde && options.optimizer == "sum" && options.mode == "async") {
      const float expected = static_cast<float>(warmup + iters);
      for (Configuration& configuration : configurations) {
        configuration.setup->client().pull(name, ronde::Tensor::of(out)).get();
        for (const std::size_t i : {std::size_t{0}, elements / 2, elements - 1}) {
          if (out[i] != expected) {
            throw std::runtime_error(name + " (" + security_modes()[static_cast<std::size_t>(configuration.security)].name +
                                     "): value " + std::to_string(i) + " is " + std::to_string(out[i]) + " after " +
                                     std::to_string(warmup + iters) + " pushes of 1");
          }
        }
      }
    }
    std::fprintf(stderr, "[ps] %d server%s %9s: done\n", servers, servers == 1 ? "" : "s",
                 ronde::bench::human_bytes(bytes).c_str());
  }
}

// The tails of every configuration's server logs, for an error report.
std::string all_logs(const std::vector<Configuration>& configurations) {
  std::string logs;
  for (const Configuration& configuration : configurations) logs += configuration.setup->logs();
  return logs;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--raw-server") return ronde::bench::ps::run_raw_server(argc, argv);
  }
  Options options;
  try {
    options = parse(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ps_bench: %s (try --help)\n", error.what());
    return 2;
  }
  if (!options.csv.empty() && !ronde::bench::CsvAppender::can_append(options.csv, "ps_bench")) return 1;
  // Expected handshake noise stays out of the output; the servers inherit it.
  setenv("GRPC_VERBOSITY", "ERROR", 0);

  std::string work = (fs::temp_directory_path() / "ronde-ps-bench-XXXXXX").string();
  if (mkdtemp(work.data()) == nullptr) {
    std::fprintf(stderr, "ps_bench: cannot make a temporary directory\n");
    return 1;
  }
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  Results results;
  int rc = 0;
  try {
    const std::string certs = certificates(options, work);
    const auto& modes = security_modes();
    for (const int servers : options.servers) {
      std::vector<Configuration> configurations;
      for (std::size_t security = 0; security < modes.size(); ++security) {
        if (!ronde::bench::contains(options.security, modes[security].name)) continue;
        std::fprintf(stderr, "[ps] %d server%s, %s: starting the servers\n", servers, servers == 1 ? "" : "s",
                     modes[security].name.c_str());
        SetupOptions setup_options;
        setup_options.servers = servers;
        setup_options.security = modes[security];
        setup_options.ronde = ronde::bench::contains(options.impls, "ronde");
        setup_options.grpc = ronde::bench::contains(options.impls, "grpc");
        setup_options.mode = options.mode;
        setup_options.optimizer = options.optimizer;
        setup_options.partition_bytes = options.partition_bytes;
        setup_options.chunk_bytes = options.chunk_bytes;
        setup_options.connections = options.connections;
        setup_options.certs = certs;
        setup_options.work = work;
        setup_options.self = self;
        setup_options.server_binary = options.server_binary;
        setup_options.server_hosts = options.server_hosts;
        setup_options.launcher = options.launcher;
        configurations.push_back({static_cast<int>(security), std::make_unique<Setup>(setup_options)});
      }
      try {
        measure(options, configurations, servers, results);
      } catch (const std::exception& error) {
        throw std::runtime_error(std::string(error.what()) + "\nronde-ps-server logs:\n" + all_logs(configurations));
      }
    }
    const ReportContext context{options.mode,        options.optimizer,   options.partition_bytes,
                                options.chunk_bytes, options.connections, options.csv};
    if (!report(context, results)) rc = 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ps_bench: %s\n", error.what());
    rc = 1;
  }
  std::error_code ignored;
  if (rc == 0) fs::remove_all(work, ignored);
  else std::fprintf(stderr, "ps_bench: logs kept in %s\n", work.c_str());
  return rc;
}
