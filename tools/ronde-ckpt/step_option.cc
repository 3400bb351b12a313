#include "step_option.h"

#include <charconv>
#include <string>

#include "exit_codes.h"
#include "ronde/checkpoint/manifest.h"

namespace ronde::ckpt {
namespace {

std::int64_t parse_step(std::string_view verb, std::string_view text) {
  std::int64_t step = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), step);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || step < 0 ||
      step > checkpoint::kMaxStep) {
    throw UsageError(std::string(verb) + ": --step needs a step 0.." + std::to_string(checkpoint::kMaxStep) +
                     ", not '" + std::string(text) + "'");
  }
  return step;
}

}  // namespace

StepOption take_step_option(std::string_view verb, std::span<char* const> args) {
  constexpr std::string_view kName = "--step";
  StepOption result;
  bool flags_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    flags_done = flags_done || arg == "--";
    std::optional<std::string_view> value;
    if (!flags_done && arg == kName) {
      if (i + 1 == args.size()) throw UsageError(std::string(verb) + ": --step needs a value");
      value = std::string_view(args[++i]);
    } else if (!flags_done && arg.starts_with("--step=")) {
      value = arg.substr(kName.size() + 1);
    }
    if (!value) {
      result.rest.push_back(args[i]);
      continue;
    }
    if (result.step) throw UsageError(std::string(verb) + ": --step given twice");
    result.step = parse_step(verb, *value);
  }
  return result;
}

}  // namespace ronde::ckpt
