#include "engine/messages.h"

#include <cstdio>

#include "engine/wire.h"

namespace ronde::engine {

namespace {

std::string number(double value) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

std::string ints(const std::vector<std::int64_t>& values) { return shape_to_string(values); }

// Allgather and alltoall rows may differ in count across ranks: only the rest must agree.
std::string row_shape(const std::vector<std::int64_t>& shape) {
  std::string text = "[*";
  for (std::size_t d = 1; d < shape.size(); ++d) text += "," + std::to_string(shape[d]);
  return text + "]";
}

void put_request(ByteWriter& out, const Request& r) {
  out.put_string(r.name);
  out.put(r.kind);
  out.put(r.dtype);
  out.put_ints(r.shape);
  out.put(r.op);
  out.put(r.root);
  out.put(r.device);
  out.put(r.prescale);
  out.put(r.postscale);
  out.put(r.compression);
  out.put_ints(r.splits);
  out.put(r.waited_ms);
}

Request get_request(ByteReader& in) {
  Request r;
  r.name = in.get_string();
  r.kind = in.get<OpKind>();
  r.dtype = in.get<DType>();
  r.shape = in.get_ints();
  r.op = in.get<ReduceOp>();
  r.root = in.get<std::int32_t>();
  r.device = in.get<Device::Kind>();
  r.prescale = in.get<double>();
  r.postscale = in.get<double>();
  r.compression = in.get<Compression>();
  r.splits = in.get_ints();
  r.waited_ms = in.get<std::int64_t>();
  return r;
}

void finish(const ByteReader& in) {
  if (!in.done()) throw Error(ErrorCode::Internal, "engine: a control message has trailing bytes");
}

}  // namespace

std::string_view to_string(OpKind kind) {
  switch (kind) {
    case OpKind::Allreduce: return "allreduce";
    case OpKind::Allgather: return "allgather";
    case OpKind::Broadcast: return "broadcast";
    case OpKind::Reducescatter: return "reducescatter";
    case OpKind::Alltoall: return "alltoall";
  }
  return "?";
}

std::string_view to_string(Compression compression) {
  switch (compression) {
    case Compression::None: return "none";
    case Compression::Float16: return "fp16";
    case Compression::BFloat16: return "bf16";
  }
  return "?";
}

std::vector<Field> agreed_fields(const Request& r) {
  std::vector<Field> fields;
  fields.push_back({"operation", std::string(to_string(r.kind))});
  fields.push_back({"dtype", std::string(to_string(r.dtype))});
  const bool rows_free = r.kind == OpKind::Allgather || r.kind == OpKind::Alltoall;
  fields.push_back({rows_free ? "row shape" : "shape", rows_free ? row_shape(r.shape) : ints(r.shape)});
  fields.push_back({"device", r.device == Device::Kind::CUDA ? "cuda" : "cpu"});
  switch (r.kind) {
    case OpKind::Allreduce:
      fields.push_back({"reduce op", std::string(to_string(r.op))});
      fields.push_back({"prescale", number(r.prescale)});
      fields.push_back({"postscale", number(r.postscale)});
      fields.push_back({"compression", std::string(to_string(r.compression))});
      break;
    case OpKind::Reducescatter:
      fields.push_back({"reduce op", std::string(to_string(r.op))});
      fields.push_back({"splits", r.splits.empty() ? "even" : ints(r.splits)});
      break;
    case OpKind::Broadcast:
      fields.push_back({"root", std::to_string(r.root)});
      break;
    case OpKind::Allgather:
    case OpKind::Alltoall:
      break;
  }
  return fields;
}

bool same_agreement(const Request& a, const Request& b) { return agreed_fields(a) == agreed_fields(b); }

DType wire_dtype(const Request& request) {
  switch (request.compression) {
    case Compression::Float16: return DType::F16;
    case Compression::BFloat16: return DType::BF16;
    case Compression::None: break;
  }
  return request.dtype;
}

std::vector<std::byte> RequestList::encode() const {
  ByteWriter out;
  out.put<std::uint64_t>(requests.size());
  for (const Request& r : requests) put_request(out, r);
  out.put<std::uint8_t>(shutdown);
  out.put<std::uint8_t>(join);
  out.put<std::uint8_t>(failure.has_value());
  if (failure) out.put_string(*failure);
  return out.take();
}

RequestList RequestList::decode(const std::vector<std::byte>& bytes) {
  ByteReader in(bytes);
  RequestList list;
  const auto count = in.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < count; ++i) list.requests.push_back(get_request(in));
  list.shutdown = in.get<std::uint8_t>() != 0;
  list.join = in.get<std::uint8_t>() != 0;
  if (in.get<std::uint8_t>() != 0) list.failure = in.get_string();
  finish(in);
  return list;
}

std::vector<std::byte> ResponseList::encode() const {
  ByteWriter out;
  out.put<std::uint64_t>(responses.size());
  for (const Response& r : responses) {
    out.put(r.type);
    put_request(out, r.request);
    out.put(r.code);
    out.put_string(r.message);
    out.put(r.last_joined);
  }
  return out.take();
}

ResponseList ResponseList::decode(const std::vector<std::byte>& bytes) {
  ByteReader in(bytes);
  ResponseList list;
  const auto count = in.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < count; ++i) {
    Response r;
    r.type = in.get<Response::Type>();
    r.request = get_request(in);
    r.code = in.get<ErrorCode>();
    r.message = in.get_string();
    r.last_joined = in.get<std::int32_t>();
    list.responses.push_back(std::move(r));
  }
  finish(in);
  return list;
}

}  // namespace ronde::engine
