// Conversions between ronde's types and the wire protocol (proto/ronde_ps.proto), shared by the
// client and the server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "ronde/core/dtype.h"
#include "ronde/core/error.h"
#include "ronde/ps/client.h"
#include "ronde_ps.pb.h"

namespace ronde::ps::wire {

// The metadata key that carries "Bearer <token>".
inline constexpr std::string_view kAuthorizationKey = "authorization";
// Receive limit of both ends: a chunk plus framing fits with room to spare.
inline constexpr int kMaxMessageBytes = 8 << 20;
// Largest chunk either end sends (clients may choose smaller ones).
inline constexpr std::size_t kMaxChunkBytes = 4 << 20;
// Largest ids list of one PullRows call.
inline constexpr std::size_t kMaxPullRowIds = 65536;

v1::DType to_proto(DType dtype);
// Error(InvalidArgument) for DTYPE_UNSET or an unknown value.
DType from_proto(v1::DType dtype);
v1::Mode to_proto(Mode mode);
Mode from_proto(v1::Mode mode);

// "[2, 3]" — shapes in error messages.
std::string shape_text(const google::protobuf::RepeatedField<std::int64_t>& shape);

// Throws the ronde::Error a failed call maps to, its message naming `server` and `call`:
// INVALID_ARGUMENT/FAILED_PRECONDITION/OUT_OF_RANGE -> InvalidArgument, NOT_FOUND -> NotFound,
// UNAUTHENTICATED/PERMISSION_DENIED -> Unauthenticated, DEADLINE_EXCEEDED -> Timeout,
// UNAVAILABLE -> Unavailable, CANCELLED -> Cancelled, anything else -> Internal. No-op for OK.
void throw_if_failed(const grpc::Status& status, std::string_view server, std::string_view call);

}  // namespace ronde::ps::wire
