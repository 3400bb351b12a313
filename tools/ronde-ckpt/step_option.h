// The "--step N" option of the checkpoint verbs (Args knows only flags without values).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace ronde::ckpt {

struct StepOption {
  std::optional<std::int64_t> step;  // the N of "--step N" or "--step=N", if given
  std::vector<char*> rest;           // every other argument, in order, for Args
};

// Takes "--step N" / "--step=N" out of `args` (before a "--"). A missing or malformed N, one
// outside 0..kMaxStep, or a second --step is a UsageError naming `verb`.
StepOption take_step_option(std::string_view verb, std::span<char* const> args);

}  // namespace ronde::ckpt
