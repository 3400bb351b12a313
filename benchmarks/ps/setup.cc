#include "ps/setup.h"

#include <exception>
#include <thread>

namespace ronde::bench::ps {
namespace {

Placement placement_of(const SetupOptions& options, int server) {
  if (options.server_hosts.empty()) return {};
  Placement placement;
  placement.host = options.server_hosts[static_cast<std::size_t>(server) % options.server_hosts.size()];
  for (std::string word : options.launcher) {
    for (std::size_t at; (at = word.find("{host}")) != std::string::npos;) word.replace(at, 6, placement.host);
    placement.launcher.push_back(word);
  }
  return placement;
}

}  // namespace

const std::vector<Security>& security_modes() {
  static const std::vector<Security> modes = {{"plain", ronde::ps::TlsMode::Off},
                                              {"tls", ronde::ps::TlsMode::Server},
                                              {"mtls", ronde::ps::TlsMode::Mutual}};
  return modes;
}

Setup::Setup(const SetupOptions& options) : servers_(options.servers) {
  const std::string& certs = options.certs;
  const std::string token_file = certs + "/token";
  const std::string token = ronde::ps::read_token_file(token_file);
  const ronde::ps::TlsMode mode = options.security.mode;
  std::vector<std::string> tls_flags = {"--tls", std::string(ronde::ps::to_string(mode))};
  if (mode != ronde::ps::TlsMode::Off) {
    tls_flags.insert(tls_flags.end(), {"--cert", certs + "/server.pem", "--key", certs + "/server.key"});
  }
  if (mode == ronde::ps::TlsMode::Mutual) tls_flags.insert(tls_flags.end(), {"--ca", certs + "/ca.pem"});

  std::vector<std::string> addresses;
  for (int i = 0; i < servers_; ++i) {
    const std::string tag = options.security.name + "-" + std::to_string(servers_) + "-" + std::to_string(i);
    if (options.ronde) {
      std::vector<std::string> argv = {options.server_binary, "--shard", std::to_string(i), "--shards",
                                       std::to_string(servers_), "--workers", "1", "--mode", options.mode,
                                       "--optimizer", options.optimizer, "--token-file", token_file,
                                       "--log-level", "warn"};
      argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
      ps_servers_.push_back(
          std::make_unique<ChildProcess>(argv, options.work + "/ps-" + tag + ".log", placement_of(options, i)));
      ps_servers_.back()->start();
      addresses.push_back(ps_servers_.back()->address());
    }
    if (options.grpc) {
      std::vector<std::string> argv = {options.self, "--raw-server"};
      argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
      raw_servers_.push_back(
          std::make_unique<ChildProcess>(argv, options.work + "/raw-" + tag + ".log", placement_of(options, i)));
      raw_servers_.back()->start();
    }
  }

  ronde::ps::TlsConfig tls;
  tls.mode = mode;
  if (mode != ronde::ps::TlsMode::Off) tls.ca_file = certs + "/ca.pem";
  if (mode == ronde::ps::TlsMode::Mutual) {
    tls.cert_file = certs + "/client.pem";
    tls.key_file = certs + "/client.key";
  }
  if (options.ronde) {
    ronde::ps::ClientOptions client_options;
    client_options.servers = addresses;
    client_options.worker = 0;
    client_options.workers = 1;
    client_options.tls = tls;
    client_options.token = token;
    client_options.partition_bytes = options.partition_bytes;
    client_options.chunk_bytes = options.chunk_bytes;
    client_options.connections = options.connections;
    client_ = std::make_unique<ronde::ps::Client>(client_options);
  }
  for (const auto& raw : raw_servers_) {
    raw_clients_.push_back(std::make_unique<RawClient>(raw->address(), tls, token, options.chunk_bytes));
  }
}

std::pair<std::size_t, std::size_t> Setup::piece(std::size_t bytes, int server) const {
  const std::size_t elements = bytes / 4;
  const auto n = static_cast<std::size_t>(servers_);
  const auto i = static_cast<std::size_t>(server);
  const std::size_t begin = elements * i / n * 4;
  const std::size_t end = elements * (i + 1) / n * 4;
  return {begin, end - begin};
}

void Setup::raw_upload(std::span<const std::byte> data) {
  run_on_each([&](int i) {
    const auto [offset, length] = piece(data.size(), i);
    raw_clients_[static_cast<std::size_t>(i)]->upload(data.subspan(offset, length));
  });
}

void Setup::raw_download(std::span<std::byte> out) {
  run_on_each([&](int i) {
    const auto [offset, length] = piece(out.size(), i);
    raw_clients_[static_cast<std::size_t>(i)]->download(out.subspan(offset, length));
  });
}

std::string Setup::logs() const {
  std::string text;
  for (const auto& server : ps_servers_) text += server->log_tail();
  return text;
}

// Runs work(i) for every server, concurrently when there are several; rethrows the first error.
template <class Work>
void Setup::run_on_each(Work work) {
  if (servers_ == 1) return work(0);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(servers_));
  std::vector<std::thread> threads;
  for (int i = 0; i < servers_; ++i) {
    threads.emplace_back([&, i] {
      try {
        work(i);
      } catch (...) {
        errors[static_cast<std::size_t>(i)] = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace ronde::bench::ps
