#include "args.h"

#include "exit_codes.h"

namespace ronde::ckpt {

Args::Args(std::string_view verb, std::span<char* const> args, std::initializer_list<Flag> flags) {
  bool flags_done = false;
  for (std::string_view arg : args) {
    if (!flags_done && arg == "--") {
      flags_done = true;
      continue;
    }
    if (flags_done || arg.size() < 2 || arg.front() != '-') {
      positionals_.emplace_back(arg);
      continue;
    }
    bool known = false;
    for (const Flag& flag : flags) {
      if (arg == flag.long_name || (!flag.short_name.empty() && arg == flag.short_name)) {
        given_.insert(std::string(flag.long_name));
        known = true;
      }
    }
    if (!known) throw UsageError(std::string(verb) + ": unknown option '" + std::string(arg) + "'");
  }
}

}  // namespace ronde::ckpt
