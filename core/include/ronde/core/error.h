// ronde::Error — the one exception type every public ronde call throws.
//
// Each error carries a code (what kind of failure) and a message that names what was wrong:
// the tensor, rank, key, file, variable or server involved. what() reads "<Code>: <message>".
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ronde {

enum class ErrorCode {
  InvalidArgument,  // the caller passed something unusable (bad shape, dtype, option, variable)
  Mismatch,         // ranks disagree (sizes, dtypes, names)
  Timeout,          // a bounded wait ran out
  Unavailable,      // a peer, server or service cannot be reached
  Unauthenticated,  // credentials, certificates or tokens were refused
  Storage,          // a storage backend failed
  NotFound,         // a named object, key or file does not exist
  AlreadyExists,    // a create-only write found the key already there
  Cancelled,        // the operation was abandoned (shutdown, or a newer request replaced it)
  Corrupt,          // data failed a checksum or format check
  Internal,         // a bug in ronde or an underlying library
  ResourceExhausted,  // memory (or another resource) ran out, here or on a server (last: the
                      // values are stable, ranks exchange them as integers)
};

std::string_view to_string(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const noexcept { return code_; }
  // The message without the "<Code>: " prefix.
  const std::string& message() const noexcept { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

}  // namespace ronde
