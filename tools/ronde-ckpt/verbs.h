// ronde-ckpt's verbs. Each takes the arguments after its name, prints its own --help, and
// returns an exit code (exit_codes.h); errors propagate as ronde::Error or UsageError.
#pragma once

#include <span>

namespace ronde::ckpt {

int run_ls(std::span<char* const> args);
int run_cp(std::span<char* const> args);
int run_rm(std::span<char* const> args);

}  // namespace ronde::ckpt
