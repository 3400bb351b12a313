// Per-worker bookkeeping of one dense partition or sparse table: what makes pushes exactly-once
// and what the consistency modes wait on.
//
// SEQUENCES: a push carries a sequence per (worker, partition or table), starting at 1, +1 per
// push; a retry reuses it. A push whose sequence is <= last_sequence[worker] has been taken before
// (applied, or summed into the current sync step) and is a duplicate: acknowledged, nothing
// changed. durable_sequence[worker] is last_sequence[worker] as of the last committed checkpoint
// (what a restarted server will remember); clients keep pushes above it to replay after a restart.
// A push also names the worker's previous sequence; sequence_gap.h refuses one whose previous the
// ledger has not taken.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace ronde::ps::server {

struct WorkerLedger {
  explicit WorkerLedger(std::uint32_t workers)
      : last_sequence(workers, 0), durable_sequence(workers, 0), progress(workers, 0), contributed(workers, false) {}

  std::vector<std::uint64_t> last_sequence;     // highest sequence taken (0: none yet)
  std::vector<std::uint64_t> durable_sequence;  // last_sequence in the last committed checkpoint
  std::vector<std::int64_t> progress;           // steps pushed: max over taken pushes of step + 1
  std::vector<bool> contributed;                // sync: pushed the step being accumulated

  bool is_duplicate(std::uint32_t worker, std::uint64_t sequence) const {
    return sequence != 0 && sequence <= last_sequence[worker];
  }
  // Records a taken push.
  void take(std::uint32_t worker, std::uint64_t sequence, std::int64_t step) {
    last_sequence[worker] = std::max(last_sequence[worker], sequence);
    progress[worker] = std::max(progress[worker], step + 1);
  }
  std::int64_t slowest() const { return progress.empty() ? 0 : *std::min_element(progress.begin(), progress.end()); }
  std::uint32_t contributors() const {
    return static_cast<std::uint32_t>(std::count(contributed.begin(), contributed.end(), true));
  }
  void clear_contributions() { std::fill(contributed.begin(), contributed.end(), false); }

  // "workers 1, 3": those that have not pushed the sync step being accumulated.
  std::string missing_contributors() const {
    std::vector<std::uint32_t> missing;
    for (std::uint32_t w = 0; w < contributed.size(); ++w) {
      if (!contributed[w]) missing.push_back(w);
    }
    return workers_phrase(missing);
  }
  // "worker 2": those that have pushed fewer than `steps` steps.
  std::string behind(std::int64_t steps) const {
    std::vector<std::uint32_t> slow;
    for (std::uint32_t w = 0; w < progress.size(); ++w) {
      if (progress[w] < steps) slow.push_back(w);
    }
    return workers_phrase(slow);
  }

 private:
  static std::string workers_phrase(const std::vector<std::uint32_t>& workers) {
    std::string text = workers.size() == 1 ? "worker " : "workers ";
    for (std::size_t i = 0; i < workers.size(); ++i) text += (i ? ", " : "") + std::to_string(workers[i]);
    return workers.empty() ? "no worker" : text;
  }
};

}  // namespace ronde::ps::server
