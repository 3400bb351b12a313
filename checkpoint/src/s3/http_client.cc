#include "s3/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cctype>
#include <cstring>
#include <mutex>
#include <vector>

#include "ronde/core/error.h"

namespace ronde::s3 {

namespace {

// libcurl must be initialised once per process before any handle exists (curl_global_init is not
// thread-safe in every build); a function-local once_flag keeps this out of global state.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error(ErrorCode::Internal, "curl_global_init failed");
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// The state of one transfer that libcurl's callbacks work on.
struct Transfer {
  CURL* easy = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  std::size_t sent = 0;  // bytes of request->body handed to libcurl
  // Stall detection: the transfer fails when no byte moved either way for `stall_limit`.
  std::chrono::milliseconds stall_limit{0};
  std::chrono::steady_clock::time_point last_progress = std::chrono::steady_clock::now();
  curl_off_t last_moved = 0;
  bool stalled = false;

  bool success_status() const {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
  }
};

std::size_t read_body(char* out, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const auto body = transfer->request->body;
  const std::size_t n = std::min(size * count, body.size() - transfer->sent);
  if (n > 0) std::memcpy(out, body.data() + transfer->sent, n);
  transfer->sent += n;
  return n;
}

// libcurl rewinds the body when it must resend it (a redirect, a reused connection found dead).
int seek_body(void* user, curl_off_t offset, int origin) {
  auto* transfer = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > transfer->request->body.size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  transfer->sent = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  transfer->response->body_bytes += n;
  if (transfer->request->sink && transfer->success_status()) {
    const bool ok = transfer->request->sink(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), n));
    return ok ? n : 0;
  }
  transfer->response->body.append(data, n);
  return n;
}

// libcurl's progress callback (called at least about once a second, also while idle): a
// per-byte-activity timeout with millisecond resolution, where CURLOPT_LOW_SPEED_* averages over
// several seconds and reacts late.
int check_progress(void* user, curl_off_t, curl_off_t downloaded, curl_off_t, curl_off_t uploaded) {
  auto* transfer = static_cast<Transfer*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (downloaded + uploaded != transfer->last_moved) {
    transfer->last_moved = downloaded + uploaded;
    transfer->last_progress = now;
    return 0;
  }
  if (now - transfer->last_progress > transfer->stall_limit) {
    transfer->stalled = true;
    return 1;  // aborts the transfer
  }
  return 0;
}

std::size_t read_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    transfer->response->headers.clear();  // an interim response (100 Continue) came first
    return line.size();
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    transfer->response->headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  return line.size();
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> HttpResponse::content_length() const {
  const auto text = header("content-length");
  if (!text || text->empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// Idle easy handles (each with its open connections) and the cache they share.
struct HttpClient::Pool {
  std::mutex mutex;
  std::vector<CURL*> idle;
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;

  Pool() {
    init_curl_once();
    share = curl_share_init();
    if (share == nullptr) throw Error(ErrorCode::Internal, "curl_share_init failed");
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, +[](CURL*, curl_lock_data data, curl_lock_access, void* user) {
      static_cast<Pool*>(user)->share_locks[data].lock();
    });
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, +[](CURL*, curl_lock_data data, void* user) {
      static_cast<Pool*>(user)->share_locks[data].unlock();
    });
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Pool() {
    for (CURL* easy : idle) curl_easy_cleanup(easy);
    curl_share_cleanup(share);
  }

  CURL* take() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        CURL* easy = idle.back();
        idle.pop_back();
        curl_easy_reset(easy);  // keeps its connections and caches
        return easy;
      }
    }
    CURL* easy = curl_easy_init();
    if (easy == nullptr) throw Error(ErrorCode::Internal, "curl_easy_init failed");
    return easy;
  }
  void give_back(CURL* easy) {
    std::lock_guard lock(mutex);
    idle.push_back(easy);
  }
};

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)), pool_(std::make_unique<Pool>()) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::perform(const HttpRequest& request) {
  HttpResponse response;
  CURL* easy = pool_->take();
  Transfer transfer{easy, &request, &response};
  transfer.stall_limit = options_.request_timeout;

  curl_slist* headers = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
    if (lower(name) == "content-type") has_content_type = true;
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip (and no 1 s wait for it)
  if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");  // no form type on POST

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_SHARE, pool_->share);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, check_progress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &transfer);
  if (!options_.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);

  const auto body_size = static_cast<curl_off_t>(request.body.size());
  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    if (request.method == "PUT") {
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, body_size);
    } else {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
    }
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(easy, CURLOPT_SEEKDATA, &transfer);
  } else {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  CURLcode result = curl_easy_perform(easy);
  if (result == CURLE_ABORTED_BY_CALLBACK && transfer.stalled) result = CURLE_OPERATION_TIMEDOUT;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  curl_off_t pretransfer_us = 0;
  curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  response.connected = response.status != 0 || pretransfer_us > 0;
  response.transport_error = static_cast<int>(result);
  if (transfer.stalled) {
    response.transport_message = "no byte moved for " + std::to_string(options_.request_timeout.count()) + " ms";
  } else if (result != CURLE_OK) {
    response.transport_message = curl_easy_strerror(result);
  }
  curl_slist_free_all(headers);
  if (result == CURLE_OK) {
    pool_->give_back(easy);
  } else {
    curl_easy_cleanup(easy);  // its connection may be in any state: never reuse it
  }
  return response;
}

bool HttpClient::is_transient(int transport_error) {
  switch (static_cast<CURLcode>(transport_error)) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

std::string HttpClient::describe(int transport_error) {
  return curl_easy_strerror(static_cast<CURLcode>(transport_error));
}

}  // namespace ronde::s3
