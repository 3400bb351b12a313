#include "storage/parallel_parts.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ronde::checkpoint {

void for_each_part(std::uint64_t total, std::uint64_t part_size, int concurrency,
                   const std::function<void(std::uint64_t offset, std::uint64_t length)>& work,
                   const Progress& progress) {
  if (total == 0) return;
  part_size = std::max<std::uint64_t>(part_size, 1);
  const std::uint64_t parts = (total + part_size - 1) / part_size;
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards done, first_error and the progress calls
  std::uint64_t done = 0;
  std::exception_ptr first_error;

  const auto run = [&] {
    while (!failed.load()) {
      const std::uint64_t part = next.fetch_add(1);
      if (part >= parts) return;
      const std::uint64_t offset = part * part_size;
      const std::uint64_t length = std::min(part_size, total - offset);
      try {
        work(offset, length);
        std::lock_guard lock(mutex);
        done += length;
        if (progress) progress(done, total);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
        failed.store(true);
      }
    }
  };

  const std::uint64_t threads = std::min<std::uint64_t>(parts, static_cast<std::uint64_t>(std::max(concurrency, 1)));
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  try {
    for (std::uint64_t i = 1; i < threads; ++i) helpers.emplace_back(run);
  } catch (...) {  // no thread could be started (a loaded machine): stop the ones that were
    failed.store(true);
    for (std::thread& helper : helpers) helper.join();
    throw;
  }
  run();
  for (std::thread& helper : helpers) helper.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace ronde::checkpoint
