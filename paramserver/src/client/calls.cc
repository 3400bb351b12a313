#include "client/calls.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/frames.h"
#include "common/wire.h"

namespace ronde::ps::client {
namespace {

// Abandons a server stream whose reply broke the protocol: cancels it, waits for its end, and
// returns INTERNAL with `message`.
template <class Reader>
grpc::Status protocol_error(grpc::ClientContext& context, Reader& reader, const std::string& message) {
  context.TryCancel();
  (void)reader.Finish();
  return {grpc::StatusCode::INTERNAL, "the server broke the protocol: " + message};
}

// The largest multiple of `unit` not above `limit`, and at least one unit.
std::size_t whole_units(std::size_t limit, std::size_t unit) { return std::max<std::size_t>(unit, limit / unit * unit); }

// Finishes a client stream whose writes may have failed early (the status then says why).
template <class Writer>
grpc::Status finish(Writer& writer) {
  writer.WritesDone();
  return writer.Finish();
}

grpc::Status push_dense(Stub& stub, grpc::ClientContext& context, const PushRecord& record, std::size_t chunk_bytes,
                        bool gap_allowed, v1::PushReply& reply) {
  auto writer = stub.push(context, reply);
  v1::PushHeader header;
  header.set_tensor(record.tensor);
  header.set_partition(record.partition);
  header.set_worker(record.worker);
  header.set_step(record.step);
  header.set_sequence(record.sequence);
  header.set_dtype(wire::to_proto(record.dtype));
  header.set_length(record.length);
  header.set_kind(record.kind);
  header.set_previous_sequence(record.previous_sequence);
  header.set_gap_allowed(gap_allowed);
  if (!writer->Write(wire::header_chunk(header))) return writer->Finish();
  // Later messages carry data only. A record that owns its bytes (retained and replayed pushes)
  // is sent from them in place; one that views the caller's tensor is copied chunk by chunk,
  // because gRPC may still hold a chunk after the call has failed and the caller has freed the
  // tensor (common/frames.h).
  const std::size_t step = whole_units(chunk_bytes, dtype_size(record.dtype));
  for (std::size_t offset = 0; offset < record.values.size(); offset += step) {
    const std::size_t bytes = std::min(step, record.values.size() - offset);
    const auto values = record.values.subspan(offset, bytes);
    grpc::ByteBuffer message;
    if (record.owner) {
      message = wire::data_chunk(values, record.owner);
    } else {
      std::shared_ptr<std::byte[]> copy(new std::byte[bytes]);
      std::memcpy(copy.get(), values.data(), bytes);
      message = wire::data_chunk({copy.get(), bytes}, copy);
    }
    if (!writer->Write(message)) return writer->Finish();
  }
  return finish(*writer);
}

grpc::Status push_rows(Stub& stub, grpc::ClientContext& context, const PushRecord& record, std::size_t chunk_bytes,
                       bool gap_allowed, v1::PushReply& reply) {
  auto writer = stub.generated().PushRows(&context, &reply);
  v1::RowsChunk chunk;
  auto* header = chunk.mutable_header();
  header->set_tensor(record.tensor);
  header->set_worker(record.worker);
  header->set_step(record.step);
  header->set_sequence(record.sequence);
  header->set_dtype(wire::to_proto(record.dtype));
  header->set_row_width(record.row_width);
  header->set_rows(record.ids.size());
  header->set_previous_sequence(record.previous_sequence);
  header->set_gap_allowed(gap_allowed);
  if (!writer->Write(chunk)) return writer->Finish();
  chunk.clear_header();  // later messages carry data only
  const std::size_t row_bytes = record.row_width * dtype_size(record.dtype);
  const std::size_t rows_per_chunk = std::max<std::size_t>(1, chunk_bytes / std::max<std::size_t>(row_bytes, 1));
  for (std::size_t first = 0; first < record.ids.size(); first += rows_per_chunk) {
    const std::size_t count = std::min(rows_per_chunk, record.ids.size() - first);
    auto* data = chunk.mutable_data();
    data->mutable_ids()->Assign(record.ids.begin() + static_cast<std::ptrdiff_t>(first),
                                record.ids.begin() + static_cast<std::ptrdiff_t>(first + count));
    data->mutable_values()->assign(reinterpret_cast<const char*>(record.values.data() + first * row_bytes),
                                   count * row_bytes);
    if (!writer->Write(chunk)) return writer->Finish();
  }
  return finish(*writer);
}

}  // namespace

Stub::Stub(const std::shared_ptr<grpc::Channel>& channel)
    : channel_(channel),
      generated_(v1::ParameterServer::NewStub(channel)),
      // The generated stub's own method names (proto/ronde_ps.proto): the server cannot tell
      // these calls from the generated stub's.
      push_method_("/ronde.ps.v1.ParameterServer/Push", grpc::internal::RpcMethod::CLIENT_STREAMING, channel),
      pull_method_("/ronde.ps.v1.ParameterServer/Pull", grpc::internal::RpcMethod::SERVER_STREAMING, channel) {}

std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>> Stub::push(grpc::ClientContext& context, v1::PushReply& reply) {
  return std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>>(
      grpc::internal::ClientWriterFactory<grpc::ByteBuffer>::Create(channel_.get(), push_method_, &context, &reply));
}

std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> Stub::pull(grpc::ClientContext& context,
                                                                 const v1::PullRequest& request) {
  return std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>>(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel_.get(), pull_method_, &context, request));
}

grpc::Status push_once(Stub& stub, grpc::ClientContext& context, const PushRecord& record, std::size_t chunk_bytes,
                       bool gap_allowed, v1::PushReply& reply) {
  return record.rows ? push_rows(stub, context, record, chunk_bytes, gap_allowed, reply)
                     : push_dense(stub, context, record, chunk_bytes, gap_allowed, reply);
}

grpc::Status pull_once(Stub& stub, grpc::ClientContext& context, const v1::PullRequest& request, DType dtype,
                       std::span<std::byte> out, v1::PullHeader& header) {
  auto reader = stub.pull(context, request);
  const std::string what = "Pull of '" + request.tensor() + "' partition " + std::to_string(request.partition());
  grpc::ByteBuffer message;
  wire::ReceivedChunk chunk;
  bool have_header = false;
  std::size_t received = 0;
  const std::uint64_t elements = out.size() / dtype_size(dtype);
  while (reader->Read(&message)) {
    if (!chunk.parse(message)) return protocol_error(context, *reader, what + " sent " + chunk.why());
    if (chunk.has_header()) {
      if (have_header) return protocol_error(context, *reader, what + " sent a second header");
      if (chunk.has_data()) return protocol_error(context, *reader, what + " sent a header with data");
      if (!chunk.parse_header(header)) return protocol_error(context, *reader, what + " sent an unreadable header");
      have_header = true;
      if (header.dtype() != wire::to_proto(dtype) || header.length() != elements) {
        return protocol_error(context, *reader, what + " returned dtype " + std::to_string(header.dtype()) + " x " +
                                                    std::to_string(header.length()) + " elements, expected " +
                                                    std::string(to_string(dtype)) + " x " + std::to_string(elements));
      }
      continue;
    }
    if (!have_header || chunk.data_size() > out.size() - received) {
      return protocol_error(context, *reader,
                            what + (have_header ? " returned more bytes than its length" : " sent data before its header"));
    }
    chunk.copy_data(out.data() + received);  // the one copy: from the received message into the tensor
    received += chunk.data_size();
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return status;
  if (!have_header || received != out.size()) {
    return {grpc::StatusCode::INTERNAL, "the server broke the protocol: " + what + " returned " +
                                            std::to_string(received) + " of " + std::to_string(out.size()) + " bytes"};
  }
  return status;
}

grpc::Status pull_rows_once(Stub& stub, grpc::ClientContext& context, const v1::PullRowsRequest& request, DType dtype,
                            std::uint64_t row_width, std::span<std::byte> out) {
  auto reader = stub.generated().PullRows(&context, request);
  const std::size_t row_bytes = row_width * dtype_size(dtype);
  v1::RowsChunk chunk;
  bool have_header = false;
  int next = 0;  // index into request.ids() of the next row expected
  auto broken = [&](const std::string& what) {
    return protocol_error(context, *reader, "PullRows of '" + request.tensor() + "' " + what);
  };
  while (reader->Read(&chunk)) {
    if (chunk.has_header()) {
      const auto& header = chunk.header();
      if (have_header) return broken("sent a second header");
      have_header = true;
      if (header.dtype() != wire::to_proto(dtype) || header.row_width() != row_width ||
          header.rows() != static_cast<std::uint64_t>(request.ids_size())) {
        return broken("returned " + std::to_string(header.rows()) + " rows of width " +
                      std::to_string(header.row_width()) + ", expected " + std::to_string(request.ids_size()) +
                      " rows of width " + std::to_string(row_width));
      }
      continue;
    }
    const auto& data = chunk.data();
    if (!have_header) return broken("sent rows before its header");
    if (data.ids_size() > request.ids_size() - next ||
        data.values().size() != static_cast<std::size_t>(data.ids_size()) * row_bytes) {
      return broken("returned more rows, or other bytes, than requested");
    }
    for (int i = 0; i < data.ids_size(); ++i) {
      if (data.ids(i) != request.ids(next + i)) {
        return broken("returned row " + std::to_string(data.ids(i)) + " where row " +
                      std::to_string(request.ids(next + i)) + " was expected");
      }
    }
    std::memcpy(out.data() + static_cast<std::size_t>(next) * row_bytes, data.values().data(), data.values().size());
    next += data.ids_size();
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return status;
  if (!have_header || next != request.ids_size()) {
    return {grpc::StatusCode::INTERNAL, "the server broke the protocol: PullRows of '" + request.tensor() + "' returned " +
                                            std::to_string(next) + " of " + std::to_string(request.ids_size()) + " rows"};
  }
  return status;
}

}  // namespace ronde::ps::client
