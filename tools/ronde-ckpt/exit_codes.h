// ronde-ckpt's exit codes (documented in docs/STORAGE.md; scripts rely on them).
#pragma once

#include <stdexcept>
#include <string>

#include "ronde/core/error.h"

namespace ronde::ckpt {

enum ExitCode : int {
  kOk = 0,
  kFailed = 1,         // the operation failed (storage, network, I/O)
  kUsage = 2,          // bad command line, URI or key
  kNotFound = 3,       // an object, prefix or file named does not exist
  kAlreadyExists = 4,  // --no-clobber (create-only) found the destination there
  kUnauthenticated = 5,  // credentials were refused
};

// A command-line mistake: printed with a hint to --help, exit code kUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The exit code a ronde::Error maps to.
ExitCode exit_code_of(const Error& error);

}  // namespace ronde::ckpt
