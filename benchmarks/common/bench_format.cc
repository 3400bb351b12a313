#include "bench_format.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace ronde::bench {

std::string human_bytes(std::size_t bytes) {
  static constexpr std::array<const char*, 4> units = {"B", "KiB", "MiB", "GiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < units.size()) {
    value /= 1024.0;
    ++unit;
  }
  if (value != std::floor(value)) return std::to_string(bytes) + " B";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f %s", value, units[unit]);
  return buf;
}

std::string human_seconds(double seconds) {
  char buf[32];
  if (seconds < 1e-3) std::snprintf(buf, sizeof buf, "%.1f us", seconds * 1e6);
  else if (seconds < 1.0) std::snprintf(buf, sizeof buf, "%.2f ms", seconds * 1e3);
  else std::snprintf(buf, sizeof buf, "%.3f s", seconds);
  return buf;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

void print_result_table(const std::string& size_title, const std::vector<std::string>& impls,
                        const std::vector<std::size_t>& sizes, const std::vector<std::vector<Result>>& results,
                        int ranks) {
  auto index_of = [&](std::string_view name) -> int {
    for (std::size_t i = 0; i < impls.size(); ++i)
      if (impls[i] == name) return static_cast<int>(i);
    return -1;
  };
  const int i_ronde = index_of("ronde");
  std::vector<int> ratio_against;
  if (i_ronde >= 0) {
    for (const char* other : {"mpi", "gloo"})
      if (index_of(other) >= 0) ratio_against.push_back(index_of(other));
  }

  char buf[256];
  std::string line1 = "                 ";
  std::snprintf(buf, sizeof buf, "%11s iters", size_title.c_str());
  std::string line2 = buf;
  for (const auto& name : impls) {
    const std::string title = " " + name + " ";
    const int width = 29;
    const int dashes = width - static_cast<int>(title.size());
    line1 += "  " + std::string(static_cast<std::size_t>(dashes / 2), '-') + title +
             std::string(static_cast<std::size_t>(dashes - dashes / 2), '-');
    line2 += "   time(us)    algbw    busbw";
  }
  if (!ratio_against.empty()) {
    line1 += "   busbw ratio";
    for (int j : ratio_against) {
      std::snprintf(buf, sizeof buf, " %11s", ("ronde/" + impls[static_cast<std::size_t>(j)]).c_str());
      line2 += buf;
    }
  }
  std::printf("%s\n%s\n", line1.c_str(), line2.c_str());
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    std::snprintf(buf, sizeof buf, "%11s %5d", human_bytes(sizes[s]).c_str(), results[s][0].iters);
    std::string row = buf;
    for (const Result& r : results[s]) {
      std::snprintf(buf, sizeof buf, "  %11.1f %8.3f %8.3f", r.seconds_median * 1e6, r.algbw_GBps, r.busbw_GBps);
      row += buf;
    }
    for (int j : ratio_against) {
      const Result& mine = results[s][static_cast<std::size_t>(i_ronde)];
      const Result& other = results[s][static_cast<std::size_t>(j)];
      // With one rank busbw may be 0 by definition; compare algbw instead.
      const double num = ranks > 1 ? mine.busbw_GBps : mine.algbw_GBps;
      const double den = ranks > 1 ? other.busbw_GBps : other.algbw_GBps;
      if (den > 0) std::snprintf(buf, sizeof buf, " %10.2fx", num / den);
      else std::snprintf(buf, sizeof buf, " %11s", "-");
      row += buf;
    }
    std::printf("%s\n", row.c_str());
  }
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace ronde::bench
