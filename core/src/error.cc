#include "ronde/core/error.h"

namespace ronde {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::Mismatch: return "Mismatch";
    case ErrorCode::Timeout: return "Timeout";
    case ErrorCode::Unavailable: return "Unavailable";
    case ErrorCode::Unauthenticated: return "Unauthenticated";
    case ErrorCode::Storage: return "Storage";
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::AlreadyExists: return "AlreadyExists";
    case ErrorCode::Cancelled: return "Cancelled";
    case ErrorCode::Corrupt: return "Corrupt";
    case ErrorCode::ResourceExhausted: return "ResourceExhausted";
    case ErrorCode::Internal: return "Internal";
  }
  return "Unknown";
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(std::string(to_string(code)) + ": " + message), code_(code), message_(message) {}

}  // namespace ronde
