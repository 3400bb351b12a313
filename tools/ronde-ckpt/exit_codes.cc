#include "exit_codes.h"

namespace ronde::ckpt {

ExitCode exit_code_of(const Error& error) {
  switch (error.code()) {
    case ErrorCode::NotFound: return kNotFound;
    case ErrorCode::AlreadyExists: return kAlreadyExists;
    case ErrorCode::Unauthenticated: return kUnauthenticated;
    case ErrorCode::InvalidArgument: return kUsage;
    default: return kFailed;
  }
}

}  // namespace ronde::ckpt
