// How a handler refuses a request: throw Rejection anywhere below the handler; the handler's
// wrapper (service.cc) turns it into the gRPC status. Thrown before any state changes, so a
// rejected request leaves the server exactly as it was.
#pragma once

#include <string>

#include <grpcpp/grpcpp.h>

namespace ronde::ps::server {

struct Rejection {
  grpc::StatusCode code;
  std::string message;

  grpc::Status status() const { return {code, message}; }
};

// INVALID_ARGUMENT with `message`.
[[noreturn]] inline void reject(std::string message) {
  throw Rejection{grpc::StatusCode::INVALID_ARGUMENT, std::move(message)};
}
[[noreturn]] inline void reject(grpc::StatusCode code, std::string message) {
  throw Rejection{code, std::move(message)};
}

}  // namespace ronde::ps::server
