#include "s3/s3_client.h"

#include <cstring>
#include <thread>

#include "ronde/core/error.h"
#include "s3/hashing.h"
#include "s3/s3_xml.h"

namespace ronde::s3 {

namespace {

HttpClientOptions http_options(const aws::S3Config& config, const checkpoint::StorageOptions& options) {
  return {options.connect_timeout, options.request_timeout, config.ca_bundle};
}

RetryLimits retry_limits(const checkpoint::StorageOptions& options) {
  return {std::max(1, options.max_attempts), options.retry_base_delay, options.retry_max_delay, options.retry_total_time};
}

std::string attempts_text(int attempts) {
  return std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
}

bool is_credential_refusal(std::string_view code) {
  return code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
         code == "InvalidToken" || code == "TokenRefreshRequired" || code == "InvalidSecurity";
}

}  // namespace

std::optional<std::string> S3Reply::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

S3Client::S3Client(aws::S3Config config, std::unique_ptr<aws::CredentialsProvider> credentials,
                   const checkpoint::StorageOptions& options)
    : config_(std::move(config)),
      bucket_config_(config_),
      credentials_(std::move(credentials)),
      http_(http_options(config_, options)),
      retry_(retry_limits(options)) {
  bucket_config_.prefix.clear();
}

std::string S3Client::uri_of_full_key(std::string_view key) const {
  return "s3://" + config_.bucket + (key.empty() ? "" : "/" + std::string(key));
}

HttpRequest S3Client::build(const S3Call& call, const std::string& payload_sha256, const Credentials& credentials) const {
  RequestToSign to_sign{call.method, config_.request_host(), bucket_config_.object_path(call.key), call.query, call.headers,
                        payload_sha256};
  const Signature signature = sign_v4(to_sign, credentials, config_.region, "s3", amz_date_now());
  const auto scheme_end = config_.endpoint.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "https" : config_.endpoint.substr(0, scheme_end);
  HttpRequest request;
  request.method = call.method;
  request.url = scheme + "://" + to_sign.host + signature.encoded_path +
                (signature.encoded_query.empty() ? "" : "?" + signature.encoded_query);
  request.headers = call.headers;
  request.headers.insert(request.headers.end(), signature.headers.begin(), signature.headers.end());
  request.body = call.body;
  return request;
}

S3Reply S3Client::execute(const S3Call& call) {
  const std::string payload = call.payload_sha256.empty() ? sha256_hex(call.body) : call.payload_sha256;
  const auto first_attempt = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    const Credentials credentials = credentials_->current();
    HttpRequest request = build(call, payload, credentials);
    std::size_t written = 0;
    bool overflow = false;
    if (call.into) {
      request.sink = [&written, &overflow, into = *call.into](std::span<const std::byte> bytes) {
        if (bytes.size() > into.size() - written) {
          overflow = true;
          return false;
        }
        if (!bytes.empty()) std::memcpy(into.data() + written, bytes.data(), bytes.size());
        written += bytes.size();
        return true;
      };
    }
    HttpResponse response = http_.perform(request);

    S3Reply reply;
    reply.attempts = attempt;
    reply.access_key_id = credentials.access_key_id;
    std::string retry_reason;
    if (!response.transport_ok()) {
      if (overflow) {
        throw Error(ErrorCode::Storage, std::string(call.operation) + " " + uri_of_full_key(call.key) +
                                            ": the response body is larger than the " +
                                            std::to_string(call.into->size()) + " bytes expected");
      }
      retry_reason = response.transport_message;
      if (!HttpClient::is_transient(response.transport_error)) {
        throw Error(ErrorCode::Storage, std::string(call.operation) + " " + uri_of_full_key(call.key) + " failed: " +
                                            retry_reason + " (" + config_.endpoint + "), after " + attempts_text(attempt));
      }
      const auto delay = retry_.next_delay(attempt, first_attempt);
      if (!delay) {
        throw Error(response.connected ? ErrorCode::Storage : ErrorCode::Unavailable,
                    std::string(call.operation) + " " + uri_of_full_key(call.key) + " failed: " + retry_reason + " (" +
                        config_.endpoint + "), after " + attempts_text(attempt));
      }
      std::this_thread::sleep_for(*delay);
      continue;
    }

    reply.status = response.status;
    reply.headers = std::move(response.headers);
    reply.body = std::move(response.body);
    reply.body_bytes = response.body_bytes;
    reply.request_id = reply.header("x-amz-request-id").value_or("");
    const bool success_status = reply.status >= 200 && reply.status < 300;
    // Error documents come with error statuses, and from CompleteMultipartUpload also with 200.
    if (!reply.body.empty() && (!success_status || !call.into)) {
      if (auto error = parse_error_document(reply.body)) {
        reply.error_code = error->code;
        reply.error_message = error->message;
        if (reply.request_id.empty()) reply.request_id = error->request_id;
      }
    }

    bool retry = false;
    if (reply.ok()) {
      const auto declared = reply.header("content-length");
      const std::uint64_t received = reply.body_bytes;
      if (call.method != "HEAD" && declared && std::to_string(received) != *declared) retry = true;  // truncated
      if (call.expected_body_bytes && received != *call.expected_body_bytes) retry = true;
    } else {
      retry = RetryPolicy::is_retryable_status(reply.status) || RetryPolicy::is_retryable_code(reply.error_code);
    }
    if (!retry) return reply;
    const auto delay = retry_.next_delay(attempt, first_attempt);
    if (!delay) {
      if (reply.ok()) {
        throw Error(ErrorCode::Storage, std::string(call.operation) + " " + uri_of_full_key(call.key) +
                                            " failed: the response body was cut short (" +
                                            std::to_string(reply.body_bytes) + " bytes), request id " +
                                            (reply.request_id.empty() ? "none" : reply.request_id) + ", after " +
                                            attempts_text(attempt));
      }
      return reply;
    }
    std::this_thread::sleep_for(*delay);
  }
}

void S3Client::fail(const S3Call& call, const S3Reply& reply, std::string_view what) const {
  std::string message = std::string(call.operation) + " " + uri_of_full_key(call.key);
  if (!what.empty()) message += " (" + std::string(what) + ")";
  message += " failed: HTTP " + std::to_string(reply.status);
  if (!reply.error_code.empty()) message += " " + reply.error_code;
  if (!reply.error_message.empty()) message += " (" + reply.error_message + ")";
  message += ", request id " + (reply.request_id.empty() ? std::string("none") : reply.request_id);
  message += ", after " + attempts_text(reply.attempts);
  if (reply.status == 403) {
    message += "; access key id " + reply.access_key_id + " from " + credentials_->describe();
    throw Error(is_credential_refusal(reply.error_code) || reply.error_code.empty() ? ErrorCode::Unauthenticated
                                                                                  : ErrorCode::Storage,
                message);
  }
  if (reply.status == 404) throw Error(ErrorCode::NotFound, message);
  throw Error(ErrorCode::Storage, message);
}

}  // namespace ronde::s3
