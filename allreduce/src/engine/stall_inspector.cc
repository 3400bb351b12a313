#include "engine/stall_inspector.h"

#include <cstdio>

namespace ronde::engine {

namespace {

std::string seconds(Clock::duration waited) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", std::chrono::duration<double>(waited).count());
  return text;
}

}  // namespace

void StallInspector::warn(const std::vector<WaitingTensor>& waiting, Clock::time_point now, const Logger& log) {
  if (check_.count() <= 0 || now - last_warning_ < check_) return;
  std::string lines;
  for (const WaitingTensor& tensor : waiting) {
    if (now - tensor.since < check_) continue;
    lines += "\n  tensor '" + tensor.name + "' has waited " + seconds(now - tensor.since) + " for " +
             topology_.ranks_phrase(tensor.missing_ranks) + " (ready on " + topology_.ranks_phrase(tensor.ready_ranks) + ")";
  }
  if (lines.empty()) return;
  last_warning_ = now;
  log.warn("engine: stalled operations: some ranks submitted these tensors and others did not yet "
           "(every rank must enqueue every name, or call join()):",
           lines,
           shutdown_.count() > 0 ? "\n  they fail with a Timeout after " + std::to_string(shutdown_.count()) + " s"
                                 : std::string());
}

bool StallInspector::expired(const WaitingTensor& tensor, Clock::time_point now) const {
  return shutdown_.count() > 0 && now - tensor.since >= shutdown_;
}

std::string StallInspector::timeout_message(const WaitingTensor& tensor, Clock::time_point now) const {
  return "tensor '" + tensor.name + "' waited " + seconds(now - tensor.since) + " for " +
         topology_.ranks_phrase(tensor.missing_ranks) + ", which never submitted it (ready on " +
         topology_.ranks_phrase(tensor.ready_ranks) + "; stall shutdown after " + std::to_string(shutdown_.count()) + " s)";
}

}  // namespace ronde::engine
