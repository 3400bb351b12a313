#include "ps/server/raw_client.h"

#include <cstring>

#include "ronde/ps/shard_map.h"

namespace ronde::ps::testing {

RawClient::RawClient(const std::string& address, std::string token) : token_(std::move(token)) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(8 << 20);
  arguments.SetMaxSendMessageSize(64 << 20);  // lets tests send oversized messages on purpose
  channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  stub_ = v1::ParameterServer::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> RawClient::context(std::chrono::milliseconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
  return context;
}

grpc::Status RawClient::status(v1::StatusReply& reply) {
  auto call = context();
  return stub_->Status(call.get(), v1::StatusRequest(), &reply);
}

grpc::Status RawClient::declare(const v1::DeclareRequest& request, v1::DeclareReply& reply) {
  auto call = context();
  return stub_->Declare(call.get(), request, &reply);
}

PushResult RawClient::push_raw(const v1::PushHeader& header, const std::string& data, std::size_t chunk_bytes,
                               std::chrono::milliseconds timeout) {
  PushResult result;
  auto call = context(timeout);
  auto writer = stub_->Push(call.get(), &result.reply);
  v1::PushChunk chunk;
  *chunk.mutable_header() = header;
  bool open = writer->Write(chunk);
  chunk.clear_header();  // later messages carry data only
  for (std::size_t offset = 0; open && offset < data.size(); offset += chunk_bytes) {
    chunk.set_data(data.substr(offset, chunk_bytes));
    open = writer->Write(chunk);
  }
  writer->WritesDone();
  result.status = writer->Finish();
  return result;
}

PushResult RawClient::push(const std::string& tensor, std::uint32_t partition, std::uint32_t worker, std::int64_t step,
                           std::uint64_t sequence, const std::vector<float>& values, v1::PushKind kind,
                           std::chrono::milliseconds timeout) {
  v1::PushHeader header;
  header.set_tensor(tensor);
  header.set_partition(partition);
  header.set_worker(worker);
  header.set_step(step);
  header.set_sequence(sequence);
  header.set_dtype(v1::F32);
  header.set_length(values.size());
  header.set_kind(kind);
  return push_raw(header, bytes_of(values), 1 << 20, timeout);
}

PullResult RawClient::pull(const std::string& tensor, std::uint32_t partition, std::uint32_t worker, std::int64_t step,
                           std::chrono::milliseconds timeout) {
  PullResult result;
  v1::PullRequest request;
  request.set_tensor(tensor);
  request.set_partition(partition);
  request.set_worker(worker);
  request.set_step(step);
  auto call = context(timeout);
  auto reader = stub_->Pull(call.get(), request);
  v1::PullChunk chunk;
  std::string data;
  while (reader->Read(&chunk)) {
    if (chunk.has_header()) result.header = chunk.header();
    else data += chunk.data();
  }
  result.status = reader->Finish();
  result.values.resize(data.size() / sizeof(float));
  if (!data.empty()) std::memcpy(result.values.data(), data.data(), result.values.size() * sizeof(float));
  result.bytes = std::move(data);
  return result;
}

PushResult RawClient::push_rows(const std::string& table, std::uint32_t worker, std::int64_t step,
                                std::uint64_t sequence, const std::vector<std::int64_t>& ids,
                                const std::vector<float>& rows, std::uint64_t width, std::uint64_t previous_sequence) {
  PushResult result;
  auto call = context();
  auto writer = stub_->PushRows(call.get(), &result.reply);
  v1::RowsChunk chunk;
  v1::RowsHeader* header = chunk.mutable_header();
  header->set_tensor(table);
  header->set_worker(worker);
  header->set_step(step);
  header->set_sequence(sequence);
  header->set_dtype(v1::F32);
  header->set_row_width(width);
  header->set_rows(ids.size());
  header->set_previous_sequence(previous_sequence);
  bool open = writer->Write(chunk);
  chunk.clear_header();  // later messages carry data only
  if (open && !ids.empty()) {
    v1::RowsData* data = chunk.mutable_data();
    data->mutable_ids()->Add(ids.begin(), ids.end());
    data->set_values(bytes_of(rows));
    open = writer->Write(chunk);
  }
  writer->WritesDone();
  result.status = writer->Finish();
  return result;
}

RowsResult RawClient::pull_rows(const std::string& table, std::uint32_t worker, std::int64_t step,
                                const std::vector<std::int64_t>& ids, std::chrono::milliseconds timeout) {
  RowsResult result;
  v1::PullRowsRequest request;
  request.set_tensor(table);
  request.set_worker(worker);
  request.set_step(step);
  request.mutable_ids()->Add(ids.begin(), ids.end());
  auto call = context(timeout);
  auto reader = stub_->PullRows(call.get(), request);
  v1::RowsChunk chunk;
  std::string values;
  while (reader->Read(&chunk)) {
    if (chunk.has_data()) {
      result.ids.insert(result.ids.end(), chunk.data().ids().begin(), chunk.data().ids().end());
      values += chunk.data().values();
    }
  }
  result.status = reader->Finish();
  result.values.resize(values.size() / sizeof(float));
  if (!values.empty()) std::memcpy(result.values.data(), values.data(), result.values.size() * sizeof(float));
  return result;
}

v1::DeclareRequest dense_declare(const std::string& tensor, std::vector<std::int64_t> shape, std::uint32_t worker) {
  // Unsigned, so shapes the tests use to overflow 2^64 wrap instead of being UB (the server refuses
  // them by their shape, whatever the length says).
  std::uint64_t elements = 1;
  for (auto dim : shape) elements *= static_cast<std::uint64_t>(dim);
  v1::DeclareRequest request;
  request.set_tensor(tensor);
  request.set_worker(worker);
  request.set_dtype(v1::F32);
  request.mutable_shape()->Add(shape.begin(), shape.end());
  request.set_partition(0);
  request.set_partition_count(1);
  request.set_offset(0);
  request.set_length(elements);
  request.set_shard_map_version(ShardMap::kFormatVersion);
  return request;
}

v1::DeclareRequest partition_declare(const std::string& tensor, std::int64_t elements, std::uint32_t index,
                                     std::uint32_t count, std::uint32_t worker) {
  v1::DeclareRequest request = dense_declare(tensor, {elements}, worker);
  const auto base = static_cast<std::uint64_t>(elements) / count;
  const auto extra = static_cast<std::uint64_t>(elements) % count;
  request.set_partition(index);
  request.set_partition_count(count);
  request.set_offset(index * base + std::min<std::uint64_t>(index, extra));
  request.set_length(base + (index < extra ? 1 : 0));
  return request;
}

v1::DeclareRequest table_declare(const std::string& table, std::uint64_t width, std::uint32_t worker) {
  v1::DeclareRequest request;
  request.set_tensor(table);
  request.set_worker(worker);
  request.set_dtype(v1::F32);
  request.set_sparse(true);
  request.set_row_width(width);
  request.set_shard_map_version(ShardMap::kFormatVersion);
  return request;
}

std::string bytes_of(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

}  // namespace ronde::ps::testing
