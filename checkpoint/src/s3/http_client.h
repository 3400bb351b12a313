// A small HTTP/1.1 client on libcurl for the S3 backend: one request at a time per call, many calls
// at once from many threads.
//
// Connections are reused: finished easy handles go back to a pool (each keeps its connections
// open), and all handles share one DNS and TLS-session cache. A request never retries by itself;
// HttpResponse says what happened and the caller (s3_client.h) decides.
//
// Timeouts: `connect_timeout` bounds connecting; a transfer that moves no byte either way for
// `request_timeout` (checked about once a second, by libcurl's progress callback) fails with
// CURLE_OPERATION_TIMEDOUT. There is no limit on the total time of a transfer that makes progress.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "s3/sigv4.h"

namespace ronde::s3 {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};
  std::string ca_bundle;  // PEM file of trusted CAs; empty: the system's
};

// Receives the body of a successful (2xx) response, in order; returns false to abort the transfer
// (the response then has transport_error CURLE_WRITE_ERROR).
using BodySink = std::function<bool(std::span<const std::byte> bytes)>;

struct HttpRequest {
  std::string method;                  // GET, HEAD, PUT, POST, DELETE
  std::string url;                     // complete and already encoded
  NameValues headers;                  // sent as given (Content-Length is set from `body`)
  std::span<const std::byte> body;     // sent for PUT and POST (read in place, never copied)
  BodySink sink;                       // 2xx body; none: into HttpResponse::body
};

struct HttpResponse {
  // libcurl's result (CURLE_OK = 0) and its explanation; a nonzero code means no complete response.
  int transport_error = 0;
  std::string transport_message;
  bool connected = false;              // a connection was made (false: the endpoint was unreachable)
  long status = 0;                     // HTTP status; 0 when no response line arrived
  NameValues headers;                  // names lower-cased, of the final response
  std::string body;                    // the body when there was no sink, or when the status is not 2xx
  std::uint64_t body_bytes = 0;        // bytes of body received (into the sink or `body`)

  bool transport_ok() const { return transport_error == 0; }
  // The first header called `name` (lower-case), if any.
  std::optional<std::string> header(std::string_view name) const;
  // The Content-Length header, if present and numeric.
  std::optional<std::uint64_t> content_length() const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs `request` once. Never throws for network or HTTP failures (see HttpResponse); throws
  // Error(Internal) only if libcurl cannot be set up.
  HttpResponse perform(const HttpRequest& request);

  // Whether libcurl classes `transport_error` as a transient network failure (connect, timeout,
  // reset, truncated transfer) worth retrying.
  static bool is_transient(int transport_error);
  // libcurl's description of `transport_error`.
  static std::string describe(int transport_error);

 private:
  struct Pool;
  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace ronde::s3
