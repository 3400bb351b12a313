#include "bench_args.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace ronde::bench {

std::optional<std::size_t> parse_size(std::string_view text) {
  constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 50;
  std::size_t pos = 0;
  std::uint64_t value = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    value = value * 10 + static_cast<std::uint64_t>(text[pos] - '0');
    if (value > kMaxBytes) return std::nullopt;
    ++pos;
  }
  if (pos == 0) return std::nullopt;
  std::string suffix(text.substr(pos));
  for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::uint64_t scale = 1;
  if (suffix.empty() || suffix == "b") scale = 1;
  else if (suffix == "k" || suffix == "kib" || suffix == "kb") scale = KiB;
  else if (suffix == "m" || suffix == "mib" || suffix == "mb") scale = MiB;
  else if (suffix == "g" || suffix == "gib" || suffix == "gb") scale = GiB;
  else return std::nullopt;
  if (value > kMaxBytes / scale) return std::nullopt;
  return static_cast<std::size_t>(value * scale);
}

std::optional<int> parse_int(std::string_view text, int min_value) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < min_value) return std::nullopt;
  return value;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while ((start = text.find_first_not_of(" \t", start)) != std::string_view::npos) {
    const std::size_t end = std::min(text.find_first_of(" \t", start), text.size());
    out.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : ",") + item;
  return out;
}

bool ArgCursor::next() {
  if (index_ + 1 >= argc_) return false;
  arg_ = argv_[++index_];
  name_ = arg_;
  inline_value_.reset();
  if (arg_.starts_with("--")) {
    if (auto eq = arg_.find('='); eq != std::string_view::npos) {
      name_ = arg_.substr(0, eq);
      inline_value_ = arg_.substr(eq + 1);
    }
  }
  return true;
}

std::optional<std::string_view> ArgCursor::value() {
  if (inline_value_) return inline_value_;
  if (index_ + 1 >= argc_) return std::nullopt;
  return std::string_view(argv_[++index_]);
}

}  // namespace ronde::bench
