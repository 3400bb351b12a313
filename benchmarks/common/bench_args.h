// Command-line parsing shared by the ronde benchmarks: sizes, counts and comma-separated lists.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ronde::bench {

inline constexpr std::size_t KiB = 1024;
inline constexpr std::size_t MiB = 1024 * KiB;
inline constexpr std::size_t GiB = 1024 * MiB;

// A byte count: decimal digits, then optionally a unit, any case: b; k, kb, kib (1024); m, mb, mib;
// g, gb, gib. nullopt when malformed or above 2^50 bytes (1 PiB).
std::optional<std::size_t> parse_size(std::string_view text);

// Decimal digits only (at most 9, no sign), worth at least `min_value`; nullopt otherwise.
std::optional<int> parse_int(std::string_view text, int min_value);

// The comma-separated items of `text`, empty ones dropped: "a,,b," gives {"a", "b"}.
std::vector<std::string> split_list(std::string_view text);

// The words of `text` separated by spaces or tabs, as a shell splits an unquoted command (no
// quoting): " a  b " gives {"a", "b"}.
std::vector<std::string> split_words(std::string_view text);

bool contains(const std::vector<std::string>& list, std::string_view name);

// The items of `list` separated by commas (the inverse of split_list).
std::string join(const std::vector<std::string>& list);

// Walks a command line one argument at a time. An option's value is either inline, `--name=value`,
// or the argument after it.
class ArgCursor {
 public:
  ArgCursor(int argc, char** argv) : argc_(argc), argv_(argv) {}

  // Moves to the next argument (the first is argv[1]); false after the last.
  bool next();
  // The current argument without its inline value: "--iters" for "--iters=5".
  std::string_view name() const { return name_; }
  // The current argument as given: "--iters=5".
  std::string_view arg() const { return arg_; }
  // The current option's value: the inline one (possibly empty), or else the next argument, which
  // it then consumes. nullopt when there is neither.
  std::optional<std::string_view> value();

 private:
  int argc_;
  char** argv_;
  int index_ = 0;
  std::string_view arg_;
  std::string_view name_;
  std::optional<std::string_view> inline_value_;
};

}  // namespace ronde::bench
