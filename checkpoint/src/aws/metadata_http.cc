#include "aws/metadata_http.h"

#include <curl/curl.h>

#include <memory>

#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

constexpr std::size_t kMaxBody = 1 << 20;

struct Body {
  std::string text;
  bool too_large = false;
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  const std::size_t bytes = size * count;
  if (body->text.size() + bytes > kMaxBody) {
    body->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  body->text.append(data, bytes);
  return bytes;
}

// libcurl's process-wide setup, done once before the first handle (curl_global_init is not
// thread-safe in older libcurl; a function-local static is).
void ensure_curl_initialised() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (result != CURLE_OK) {
    throw Error(ErrorCode::Internal, std::string("curl_global_init failed: ") + curl_easy_strerror(result));
  }
}

}  // namespace

HttpResponse metadata_request(std::string_view method, const std::string& url, const std::vector<std::string>& headers,
                              const HttpTimeouts& timeouts) {
  ensure_curl_initialised();
  const std::string what = std::string(method) + " " + url;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error(ErrorCode::Internal, "curl_easy_init failed for " + what);

  curl_slist* list = nullptr;
  for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list, curl_slist_free_all);

  Body body;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string method_text(method);
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  if (method == "PUT" || method == "POST") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, 0L);
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.connect.count()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts.total.count()));
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);

  const CURLcode result = curl_easy_perform(handle);
  if (body.too_large) throw Error(ErrorCode::Unavailable, what + ": response body over 1 MiB");
  if (result != CURLE_OK) {
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(result);
    throw Error(ErrorCode::Unavailable, what + ": " + detail);
  }
  HttpResponse response;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(body.text);
  return response;
}

}  // namespace ronde::aws
