#include "progress_meter.h"

#include <unistd.h>

#include <cstdio>

namespace ronde::ckpt {

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return text;
}

bool progress_wanted(bool flag) { return flag || ::isatty(STDERR_FILENO) == 1; }

ProgressMeter::ProgressMeter(bool enabled, std::string label)
    : enabled_(enabled), terminal_(::isatty(STDERR_FILENO) == 1), label_(std::move(label)) {}

ProgressMeter::~ProgressMeter() {
  // An interrupted transfer still ends its line, so the error message starts on a fresh one.
  if (enabled_ && terminal_ && !finished_ && drawn_) std::fputc('\n', stderr);
}

void ProgressMeter::update(std::uint64_t done, std::uint64_t total) {
  done_ = done;
  total_ = total;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < (terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000))) return;
  last_draw_ = now;
  draw();
}

void ProgressMeter::finish() {
  if (finished_) return;
  if (total_ == 0) total_ = done_;
  draw();
  if (enabled_ && terminal_) std::fputc('\n', stderr);
  finished_ = true;
}

void ProgressMeter::draw() {
  if (!enabled_) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
  std::string line = (terminal_ ? "\r" : "") + label_ + "  " + human_bytes(static_cast<double>(done_));
  if (total_ > 0) {
    line += " / " + human_bytes(static_cast<double>(total_)) + "  " + std::to_string(done_ * 100 / total_) + "%";
  }
  line += "  " + human_bytes(rate) + "/s";
  line += terminal_ ? "\x1b[K" : "\n";  // a terminal redraws one line; a log gets one line a second
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace ronde::ckpt
