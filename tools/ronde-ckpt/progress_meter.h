// The progress line ronde-ckpt writes on stderr during transfers:
//   "ckpt/shard-0  412.0 MiB / 1.0 GiB  40%  385.2 MiB/s"
// redrawn in place at most five times a second on a terminal (one line a second otherwise, for
// logs), ended with a newline when the transfer ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ronde::ckpt {

class ProgressMeter {
 public:
  // A disabled meter prints nothing (stderr is not a terminal and --progress was not given).
  ProgressMeter(bool enabled, std::string label);
  ~ProgressMeter();
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  // Bytes moved so far of `total` (0: unknown). Not thread-safe: Storage serialises its calls.
  void update(std::uint64_t done, std::uint64_t total);
  // Draws the final state and ends the line.
  void finish();

 private:
  void draw();

  bool enabled_;
  bool terminal_;
  bool finished_ = false;
  bool drawn_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  std::uint64_t done_ = 0;
  std::uint64_t total_ = 0;
};

// Whether progress is shown: `--progress` given, or stderr is a terminal.
bool progress_wanted(bool flag);

// "1.5 MiB", "980 B".
std::string human_bytes(double bytes);

}  // namespace ronde::ckpt
