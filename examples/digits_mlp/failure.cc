#include "failure.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ronde/checkpoint/sagemaker_output.h"

namespace digits {

void report_failure(const ronde::Context* context, std::string_view what) {
  const std::string who =
      context ? " (rank " + std::to_string(context->rank()) + "/" + std::to_string(context->size()) + ")" : "";
  std::fprintf(stderr, "digits_mlp%s: error: %.*s\n", who.c_str(), static_cast<int>(what.size()), what.data());
  if (context == nullptr || !context->sagemaker()) return;
  try {
    ronde::checkpoint::write_failure_reason(*context->sagemaker(), what);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "digits_mlp%s: %s\n", who.c_str(), error.what());
  }
}

void exit_now(int status) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(status);
}

}  // namespace digits
