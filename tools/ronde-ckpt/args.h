// The command line of one verb: its flags and its positional arguments.
#pragma once

#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ronde::ckpt {

struct Flag {
  std::string_view long_name;   // "--recursive"
  std::string_view short_name;  // "-r", or empty
};

class Args {
 public:
  // Splits `args` (after the verb) into known flags and positionals; "--" ends the flags. An
  // unknown flag is a UsageError naming `verb`.
  Args(std::string_view verb, std::span<char* const> args, std::initializer_list<Flag> flags);

  // Whether the flag (by its long name) was given.
  bool has(std::string_view long_name) const { return given_.count(std::string(long_name)) != 0; }
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::set<std::string> given_;
  std::vector<std::string> positionals_;
};

}  // namespace ronde::ckpt
