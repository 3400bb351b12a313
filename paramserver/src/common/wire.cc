#include "common/wire.h"

#include <string>

namespace ronde::ps::wire {

v1::DType to_proto(DType dtype) { return static_cast<v1::DType>(static_cast<int>(dtype) + 1); }

DType from_proto(v1::DType dtype) {
  const int value = static_cast<int>(dtype);
  if (value < static_cast<int>(v1::F16) || value > static_cast<int>(v1::U8)) {
    throw Error(ErrorCode::InvalidArgument, "dtype " + std::to_string(value) + " is not a ronde dtype");
  }
  return static_cast<DType>(value - 1);
}

v1::Mode to_proto(Mode mode) {
  switch (mode) {
    case Mode::Sync: return v1::SYNC;
    case Mode::Async: return v1::ASYNC;
    case Mode::BoundedStaleness: return v1::BOUNDED_STALENESS;
  }
  return v1::MODE_UNSET;
}

Mode from_proto(v1::Mode mode) {
  switch (mode) {
    case v1::SYNC: return Mode::Sync;
    case v1::ASYNC: return Mode::Async;
    case v1::BOUNDED_STALENESS: return Mode::BoundedStaleness;
    default: throw Error(ErrorCode::InvalidArgument, "mode " + std::to_string(static_cast<int>(mode)) + " is not a ronde mode");
  }
}

std::string shape_text(const google::protobuf::RepeatedField<std::int64_t>& shape) {
  std::string text = "[";
  for (int i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

void throw_if_failed(const grpc::Status& status, std::string_view server, std::string_view call) {
  if (status.ok()) return;
  ErrorCode code = ErrorCode::Internal;
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE: code = ErrorCode::InvalidArgument; break;
    case grpc::StatusCode::NOT_FOUND: code = ErrorCode::NotFound; break;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED: code = ErrorCode::Unauthenticated; break;
    case grpc::StatusCode::DEADLINE_EXCEEDED: code = ErrorCode::Timeout; break;
    case grpc::StatusCode::UNAVAILABLE: code = ErrorCode::Unavailable; break;
    case grpc::StatusCode::CANCELLED: code = ErrorCode::Cancelled; break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: code = ErrorCode::ResourceExhausted; break;
    default: break;
  }
  throw Error(code, std::string(call) + " on parameter server " + std::string(server) + ": " + status.error_message());
}

}  // namespace ronde::ps::wire
