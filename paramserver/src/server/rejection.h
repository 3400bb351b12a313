// How a handler refuses a request: throw Rejection anywhere below the handler; the handler's
// wrapper (service.cc) turns it into the gRPC status. Thrown before any state changes, so a
// rejected request leaves the server exactly as it was.
#pragma once

#include <cstdint>
#include <new>
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

// Runs `allocate` and turns its std::bad_alloc into a RESOURCE_EXHAUSTED refusal naming `who` (the
// request, which names its tensor) and the `bytes` it asked for. `allocate` must leave the state
// as it was, or consistent, when it throws; the server then keeps serving.
template <class Allocate>
decltype(auto) allocating(const std::string& who, std::uint64_t bytes, Allocate&& allocate) {
  try {
    return allocate();
  } catch (const std::bad_alloc&) {
    reject(grpc::StatusCode::RESOURCE_EXHAUSTED,
           who + ": the server is out of memory (it could not allocate " + std::to_string(bytes) + " bytes)");
  }
}

}  // namespace ronde::ps::server
