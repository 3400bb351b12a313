// The engine's negotiation messages.
//
// Each cycle a rank that has something to say sends rank 0 a RequestList: the operations that
// became ready on it (one Request per name, what that rank asked for), and control flags (it
// wants to shut down, it has joined, a collective failed on it). Rank 0 answers every rank with
// the same ResponseList: the names now ready everywhere, in the one order all ranks run them,
// errors for names the ranks disagree on or that stalled, the end of a join, and shutdown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ronde/allreduce/engine.h"
#include "ronde/core/dtype.h"
#include "ronde/core/error.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/tensor.h"

namespace ronde::engine {

enum class OpKind : std::uint8_t { Allreduce, Allgather, Broadcast, Reducescatter, Alltoall };
std::string_view to_string(OpKind kind);
std::string_view to_string(Compression compression);

// What one rank asked for under one name. Every field but `waited_ms` (and, for allgather and
// alltoall, the first dimension, which each rank chooses) must agree across ranks.
struct Request {
  std::string name;
  OpKind kind = OpKind::Allreduce;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  ReduceOp op = ReduceOp::Sum;               // allreduce, reducescatter
  std::int32_t root = 0;                     // broadcast
  Device::Kind device = Device::Kind::CPU;   // the kind only: ranks may use different GPUs
  double prescale = 1.0;                     // allreduce
  double postscale = 1.0;                    // allreduce
  Compression compression = Compression::None;  // allreduce of f32 only (else None)
  std::vector<std::int64_t> splits;          // reducescatter (empty: the even default)
  std::int64_t waited_ms = 0;                // how long it has waited on this rank (stall inspector)
};

// The fields the ranks must agree on, as (field name, printed value), for comparisons and for
// mismatch messages ("dtype", "f32"). Two requests agree when these lists are equal.
struct Field {
  std::string name;
  std::string value;
  friend bool operator==(const Field&, const Field&) = default;
};
std::vector<Field> agreed_fields(const Request& request);
bool same_agreement(const Request& a, const Request& b);

// The 16-bit dtype a compressed allreduce travels in, or the tensor's own dtype.
DType wire_dtype(const Request& request);

struct RequestList {
  std::vector<Request> requests;
  bool shutdown = false;   // this rank called shutdown()
  bool join = false;       // this rank called join()
  std::optional<std::string> failure;  // a collective failed here in a way the others may not see

  std::vector<std::byte> encode() const;
  static RequestList decode(const std::vector<std::byte>& bytes);
};

struct Response {
  enum class Type : std::uint8_t {
    Run,        // run `request` (the agreed parameters) now, in list order
    Fail,       // fail the handles of `request.name` with (code, message)
    JoinDone,   // every rank has joined; `last_joined` joined last
    Shutdown,   // stop after this list: cancel what is left
    Abort,      // a rank failed: fail everything pending with (code, message) and stop
  };
  Type type = Type::Run;
  Request request;
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  std::int32_t last_joined = -1;
};

struct ResponseList {
  std::vector<Response> responses;

  std::vector<std::byte> encode() const;
  static ResponseList decode(const std::vector<std::byte>& bytes);
};

}  // namespace ronde::engine
