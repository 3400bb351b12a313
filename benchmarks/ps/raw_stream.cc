#include "ps/raw_stream.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "common/bench_args.h"
#include "common/wire.h"
#include "ps_bench_raw.grpc.pb.h"
#include "security/credentials.h"

namespace ronde::bench::ps {
namespace {

namespace proto = ::ronde::bench::ps;
using ronde::ps::TlsConfig;

// The largest download one call may ask for (the model sizes measured are far below it).
constexpr std::uint64_t kMaxDownloadBytes = std::uint64_t{16} << 30;

class RawService final : public proto::RawStream::Service {
 public:
  grpc::Status Upload(grpc::ServerContext*, grpc::ServerReader<proto::Chunk>* reader,
                      proto::UploadReply* reply) override {
    proto::Chunk chunk;
    std::uint64_t bytes = 0;
    while (reader->Read(&chunk)) bytes += chunk.data().size();
    reply->set_bytes(bytes);
    return grpc::Status::OK;
  }

  grpc::Status Download(grpc::ServerContext*, const proto::DownloadRequest* request,
                        grpc::ServerWriter<proto::Chunk>* writer) override {
    if (request->bytes() > kMaxDownloadBytes || request->chunk_bytes() == 0 ||
        request->chunk_bytes() > ronde::ps::wire::kMaxChunkBytes) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "download size or chunk size out of range"};
    }
    // The bytes come from a buffer the size of one chunk: what is measured is the stream.
    const std::string source(request->chunk_bytes(), '\x5a');
    proto::Chunk chunk;
    for (std::uint64_t sent = 0; sent < request->bytes();) {
      const std::uint64_t n = std::min<std::uint64_t>(request->chunk_bytes(), request->bytes() - sent);
      chunk.set_data(source.data(), n);
      if (!writer->Write(chunk)) return {grpc::StatusCode::CANCELLED, "the client went away"};
      sent += n;
    }
    return grpc::Status::OK;
  }
};

void write_port_file(const std::string& path, int port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << port << "\n";
  }
  std::filesystem::rename(temporary, path);  // readers never see a partial number
}

grpc::ChannelArguments channel_arguments() {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(ronde::ps::wire::kMaxMessageBytes);
  arguments.SetMaxSendMessageSize(ronde::ps::wire::kMaxMessageBytes);
  return arguments;
}

}  // namespace

int run_raw_server(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::string port_file;
  TlsConfig tls;
  try {
    ArgCursor args(argc, argv);
    while (args.next()) {
      const auto name = args.name();
      auto value = [&] {
        const auto v = args.value();
        if (!v) throw std::runtime_error(std::string(name) + " needs a value");
        return std::string(*v);
      };
      if (name == "--raw-server") continue;
      if (name == "--listen") listen = value();
      else if (name == "--port-file") port_file = value();
      else if (name == "--tls") tls.mode = ronde::ps::parse_tls_mode(value());
      else if (name == "--cert") tls.cert_file = value();
      else if (name == "--key") tls.key_file = value();
      else if (name == "--ca") tls.ca_file = value();
      else throw std::runtime_error("unknown argument '" + std::string(args.arg()) + "'");
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ps_bench --raw-server: %s\n", error.what());
    return 2;
  }

  // SIGTERM/SIGINT are taken by a thread of our own (blocked here, before gRPC starts threads).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  RawService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  try {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(listen, ronde::ps::security::server_credentials(tls), &port);
    builder.SetMaxReceiveMessageSize(ronde::ps::wire::kMaxMessageBytes);
    builder.SetMaxSendMessageSize(ronde::ps::wire::kMaxMessageBytes);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ps_bench --raw-server: %s\n", error.what());
    return 1;
  }
  if (!server || port == 0) {
    std::fprintf(stderr, "ps_bench --raw-server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  if (!port_file.empty()) write_port_file(port_file, port);
  std::fprintf(stderr, "ps_bench raw server listening on port %d (tls %s)\n", port,
               std::string(ronde::ps::to_string(tls.mode)).c_str());

  std::thread stopper([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
  server->Wait();
  stopper.join();
  return 0;
}

struct RawClient::Impl {
  std::string address;
  TlsConfig tls;
  std::string token;
  std::size_t chunk_bytes;
  std::unique_ptr<proto::RawStream::Stub> stub;

  void prepare(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    ronde::ps::security::add_call_token(context, tls, token);
  }

  [[noreturn]] void fail(const std::string& call, const std::string& why) const {
    throw std::runtime_error("raw " + call + " on " + address + ": " + why);
  }
};

RawClient::RawClient(const std::string& address, const TlsConfig& tls, const std::string& token,
                     std::size_t chunk_bytes)
    : impl_(std::make_unique<Impl>(Impl{address, tls, token, chunk_bytes, nullptr})) {
  auto arguments = channel_arguments();
  auto credentials = ronde::ps::security::channel_credentials(tls, token, arguments);
  impl_->stub = proto::RawStream::NewStub(grpc::CreateCustomChannel(address, credentials, arguments));
}

RawClient::~RawClient() = default;

void RawClient::upload(std::span<const std::byte> data) {
  grpc::ClientContext context;
  impl_->prepare(context);
  proto::UploadReply reply;
  auto writer = impl_->stub->Upload(&context, &reply);
  proto::Chunk chunk;
  for (std::size_t offset = 0; offset < data.size(); offset += impl_->chunk_bytes) {
    const std::size_t n = std::min(impl_->chunk_bytes, data.size() - offset);
    chunk.set_data(reinterpret_cast<const char*>(data.data()) + offset, n);
    if (!writer->Write(chunk)) break;  // the status below says why
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) impl_->fail("upload", status.error_message());
  if (reply.bytes() != data.size()) {
    impl_->fail("upload", "the server received " + std::to_string(reply.bytes()) + " of " +
                              std::to_string(data.size()) + " bytes");
  }
}

void RawClient::download(std::span<std::byte> out) {
  grpc::ClientContext context;
  impl_->prepare(context);
  proto::DownloadRequest request;
  request.set_bytes(out.size());
  request.set_chunk_bytes(impl_->chunk_bytes);
  auto reader = impl_->stub->Download(&context, request);
  proto::Chunk chunk;
  std::size_t received = 0;
  while (reader->Read(&chunk)) {
    const std::string& data = chunk.data();
    if (data.size() > out.size() - received) impl_->fail("download", "the server sent too many bytes");
    std::memcpy(out.data() + received, data.data(), data.size());  // as a pull lands in its tensor
    received += data.size();
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) impl_->fail("download", status.error_message());
  if (received != out.size()) {
    impl_->fail("download", "received " + std::to_string(received) + " of " + std::to_string(out.size()) + " bytes");
  }
}

}  // namespace ronde::bench::ps
