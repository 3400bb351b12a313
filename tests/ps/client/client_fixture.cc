#include "client_fixture.h"

#include <exception>
#include <mutex>
#include <thread>

namespace ronde::ps::testing {

ServerGroup::ServerGroup(int count, const std::vector<std::string>& flags) {
  for (int i = 0; i < count; ++i) {
    std::vector<std::string> arguments = {"--shard", std::to_string(i), "--shards", std::to_string(count)};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    servers_.push_back(std::make_unique<ServerProcess>(arguments));
    servers_.back()->start();
  }
}

std::vector<std::string> ServerGroup::addresses() const {
  std::vector<std::string> addresses;
  for (const auto& server : servers_) addresses.push_back(server->address());
  return addresses;
}

std::string ServerGroup::logs() const {
  std::string text;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    text += "---- server " + std::to_string(i) + " (" + servers_[i]->log_path() + ")\n" + servers_[i]->log_tail(2000);
  }
  return text;
}

ClientOptions client_options(std::vector<std::string> servers, std::uint32_t worker, std::uint32_t workers) {
  ClientOptions options;
  options.servers = std::move(servers);
  options.worker = worker;
  options.workers = workers;
  options.call_timeout = std::chrono::seconds(30);
  options.wait_timeout = std::chrono::seconds(45);
  options.retry_budget = std::chrono::seconds(20);
  options.initial_backoff = std::chrono::milliseconds(10);
  options.max_backoff = std::chrono::milliseconds(300);
  options.threads = 2;
  return options;
}

void run_workers(std::uint32_t workers, const std::function<void(std::uint32_t worker)>& body) {
  std::mutex mutex;
  std::exception_ptr first;
  std::vector<std::thread> threads;
  for (std::uint32_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        body(w);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first) first = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace ronde::ps::testing
