// Temporary directories for the storage tests: one per test process under $TMPDIR (or /tmp),
// removed when the process's tests end.
#pragma once

#include <filesystem>
#include <string_view>

namespace ronde::testing {

// This process's directory (created on first use, removed at exit).
const std::filesystem::path& test_temp_dir();
// A new, empty directory inside it whose name starts with `label`.
std::filesystem::path fresh_test_dir(std::string_view label);

}  // namespace ronde::testing
