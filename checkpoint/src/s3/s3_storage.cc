#include "s3/s3_storage.h"

#include <algorithm>
#include <mutex>
#include <condition_variable>
#include <vector>

#include "aws/credentials.h"
#include "aws/s3_config.h"
#include "ronde/core/error.h"
#include "s3/crc32c.h"
#include "s3/hashing.h"
#include "s3/multipart_upload.h"
#include "s3/s3_storage_impl.h"
#include "s3/s3_xml.h"

namespace ronde::s3 {

namespace {

constexpr std::size_t kMinPartSize = 5 * 1024 * 1024;
constexpr std::uint64_t kMaxParts = 10000;
constexpr std::size_t kDeleteBatch = 1000;

}  // namespace

std::unique_ptr<checkpoint::Storage> open_s3_storage(std::string_view uri, const checkpoint::StorageOptions& options,
                                                     const Environment& env) {
  aws::S3Config config = aws::resolve_s3_config(uri, options, env);
  auto credentials = aws::default_credentials_chain(env, config.profile);
  return std::make_unique<S3Storage>(std::move(config), std::move(credentials), options);
}

S3Storage::S3Storage(aws::S3Config config, std::unique_ptr<aws::CredentialsProvider> credentials,
                     const checkpoint::StorageOptions& options)
    : client_(std::move(config), std::move(credentials), options), options_(options) {
  options_.concurrency = std::max(1, options_.concurrency);
}

std::string S3Storage::uri() const {
  const auto& config = client_.config();
  return "s3://" + config.bucket + (config.prefix.empty() ? "" : "/" + config.prefix);
}

std::string S3Storage::full_key(std::string_view key) const {
  const auto& prefix = client_.config().prefix;
  return prefix.empty() ? std::string(key) : prefix + "/" + std::string(key);
}

std::string S3Storage::relative_key(std::string_view full) const {
  const auto& prefix = client_.config().prefix;
  if (prefix.empty()) return std::string(full);
  return full.size() > prefix.size() ? std::string(full.substr(prefix.size() + 1)) : std::string();
}

NameValues S3Storage::write_headers(const checkpoint::PutOptions& options) const {
  NameValues headers{{"Content-Type", options.content_type.empty() ? "application/octet-stream" : options.content_type}};
  const auto& config = client_.config();
  if (config.sse == checkpoint::ServerSideEncryption::Aes256) {
    headers.emplace_back("x-amz-server-side-encryption", "AES256");
  } else if (config.sse == checkpoint::ServerSideEncryption::Kms) {
    headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
    if (!config.sse_kms_key_id.empty()) {
      headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", config.sse_kms_key_id);
    }
  }
  return headers;
}

std::size_t S3Storage::part_size_for(std::uint64_t size) const {
  std::uint64_t part = std::max(options_.part_size, kMinPartSize);
  if (size > part * kMaxParts) part = (size + kMaxParts - 1) / kMaxParts;
  return static_cast<std::size_t>(part);
}

void S3Storage::put(std::string_view key, std::span<const std::byte> data, const checkpoint::PutOptions& options) {
  checkpoint::validate_key(key);
  const std::string full = full_key(key);
  if (data.size() > options_.multipart_threshold && data.size() > kMinPartSize) {
    put_multipart(full, data, options);
  } else {
    put_single(full, data, options);
  }
}

void S3Storage::put_single(const std::string& full, std::span<const std::byte> data,
                           const checkpoint::PutOptions& options) {
  const Md5 digest = md5(data);
  NameValues headers = write_headers(options);
  headers.emplace_back("Content-MD5", digest.base64);
  headers.emplace_back("x-amz-checksum-crc32c", crc32c_base64(data));  // S3 verifies and keeps it
  headers.emplace_back("x-amz-sdk-checksum-algorithm", "CRC32C");
  if (options.create_only) headers.emplace_back("If-None-Match", "*");
  S3Call call{"PutObject", "PUT", full, {}, std::move(headers), data};
  const S3Reply reply = client_.execute(call);
  if (reply.status == 412) {
    throw Error(ErrorCode::AlreadyExists, "PutObject " + client_.uri_of_full_key(full) +
                                              ": the key already exists (create-only put), request id " + reply.request_id);
  }
  if (!reply.ok()) client_.fail(call, reply);
  // With SSE-KMS the ETag is not the MD5 of the content; otherwise it must be.
  const std::string etag = unquote_etag(reply.header("etag").value_or(""));
  if (client_.config().sse != checkpoint::ServerSideEncryption::Kms && !etag.empty() && etag != digest.hex) {
    throw Error(ErrorCode::Corrupt, "PutObject " + client_.uri_of_full_key(full) + ": the server's ETag " + etag +
                                        " is not the MD5 " + digest.hex + " of the bytes sent, request id " + reply.request_id);
  }
  if (options.progress) options.progress(data.size(), data.size());
}

void S3Storage::check_absent(const std::string& full, std::string_view operation) {
  S3Call call{"HeadObject", "HEAD", full};
  const S3Reply reply = client_.execute(call);
  if (reply.ok()) {
    throw Error(ErrorCode::AlreadyExists, std::string(operation) + " " + client_.uri_of_full_key(full) +
                                              ": the key already exists (create-only put)");
  }
  if (reply.status != 404) client_.fail(call, reply);
}

void S3Storage::put_multipart(const std::string& full, std::span<const std::byte> data,
                              const checkpoint::PutOptions& options) {
  if (options.create_only) check_absent(full, "PutObject");
  const std::size_t part = part_size_for(data.size());
  MultipartUpload upload(client_, full, options, write_headers(options), options_.concurrency, data.size());
  for (std::size_t offset = 0; offset < data.size() && !upload.failed(); offset += part) {
    upload.add_part(data.subspan(offset, std::min(part, data.size() - offset)));
  }
  upload.complete();
}

void S3Storage::put_stream(std::string_view key, const checkpoint::ReadChunk& source,
                           const checkpoint::PutOptions& options) {
  checkpoint::validate_key(key);
  const std::string full = full_key(key);
  const std::size_t part = part_size_for(0);
  // Fills `buffer` from the source; returns the bytes read (less than its size only at the end).
  auto fill = [&source](std::vector<std::byte>& buffer) {
    std::size_t size = 0;
    while (size < buffer.size()) {
      const std::size_t n = source(std::span(buffer).subspan(size));
      if (n == 0) break;
      size += n;
    }
    return size;
  };

  // Up to `concurrency` buffers of one part each: the reader fills a free one while the others
  // upload, and waits when none is free.
  const std::size_t buffer_count = static_cast<std::size_t>(options_.concurrency);
  std::vector<std::vector<std::byte>> buffers(1);
  buffers[0].resize(part);
  std::size_t size = fill(buffers[0]);
  if (size < part) {
    put_single(full, std::span(buffers[0]).first(size), options);
    return;
  }
  if (options.create_only) check_absent(full, "PutObject");
  buffers.reserve(buffer_count);

  std::mutex mutex;
  std::condition_variable freed;
  std::vector<std::size_t> free_buffers;
  MultipartUpload upload(client_, full, options, write_headers(options), options_.concurrency, 0);
  std::size_t current = 0;
  for (;;) {
    upload.add_part(std::span(buffers[current]).first(size), [&, current] {
      std::lock_guard lock(mutex);
      free_buffers.push_back(current);
      freed.notify_one();
    });
    if (size < part || upload.failed()) break;
    {
      std::unique_lock lock(mutex);
      if (free_buffers.empty() && buffers.size() < buffer_count) {
        buffers.emplace_back(part);
        current = buffers.size() - 1;
      } else {
        freed.wait(lock, [&] { return !free_buffers.empty(); });
        current = free_buffers.back();
        free_buffers.pop_back();
      }
    }
    size = fill(buffers[current]);
    if (size == 0) break;
  }
  upload.complete();
}

checkpoint::ObjectInfo S3Storage::head(std::string_view key) {
  checkpoint::validate_key(key);
  const std::string full = full_key(key);
  S3Call call{"HeadObject", "HEAD", full, {}, {{"x-amz-checksum-mode", "ENABLED"}}};
  const S3Reply reply = client_.execute(call);
  if (!reply.ok()) client_.fail(call, reply);
  checkpoint::ObjectInfo info;
  info.key = std::string(key);
  info.size = std::stoull(reply.header("content-length").value_or("0"));
  info.etag = unquote_etag(reply.header("etag").value_or(""));
  info.last_modified = parse_http_date(reply.header("last-modified").value_or(""));
  info.checksum_crc32c = reply.header("x-amz-checksum-crc32c").value_or("");
  return info;
}

checkpoint::ListPage S3Storage::list_page(std::string_view prefix, std::string_view token, int max_keys) {
  if (max_keys < 1 || max_keys > 1000) {
    throw Error(ErrorCode::InvalidArgument, "list_page of " + uri() + ": max_keys " + std::to_string(max_keys) +
                                                " is not in 1..1000");
  }
  const auto& root = client_.config().prefix;
  const std::string full_prefix = root.empty() ? std::string(prefix) : root + "/" + std::string(prefix);
  S3Call call{"ListObjectsV2", "GET", "", {{"list-type", "2"}, {"prefix", full_prefix}, {"max-keys", std::to_string(max_keys)}}};
  if (!token.empty()) call.query.emplace_back("continuation-token", std::string(token));
  const S3Reply reply = client_.execute(call);
  if (!reply.ok()) client_.fail(call, reply, "prefix '" + full_prefix + "'");
  ListObjectsResult listed = parse_list_objects(reply.body);
  checkpoint::ListPage page;
  page.next_token = std::move(listed.next_token);
  page.objects.reserve(listed.objects.size());
  for (auto& object : listed.objects) {
    page.objects.push_back({relative_key(object.key), object.size, std::move(object.etag), object.last_modified, {}});
  }
  return page;
}

void S3Storage::remove(std::string_view key) {
  checkpoint::validate_key(key);
  S3Call call{"DeleteObject", "DELETE", full_key(key)};
  const S3Reply reply = client_.execute(call);
  if (!reply.ok() && reply.status != 404) client_.fail(call, reply);
}

void S3Storage::remove_all(std::span<const std::string> keys) {
  for (const auto& key : keys) checkpoint::validate_key(key);
  std::vector<std::string> failed;
  for (std::size_t start = 0; start < keys.size(); start += kDeleteBatch) {
    std::vector<std::string> batch;
    for (std::size_t i = start; i < std::min(keys.size(), start + kDeleteBatch); ++i) batch.push_back(full_key(keys[i]));
    const std::string body = delete_objects_body(batch);
    const auto bytes = std::as_bytes(std::span(body));
    S3Call call{"DeleteObjects", "POST", "", {{"delete", ""}},
                {{"Content-Type", "application/xml"}, {"Content-MD5", md5(bytes).base64}}, bytes};
    const S3Reply reply = client_.execute(call);
    if (!reply.ok()) client_.fail(call, reply, std::to_string(batch.size()) + " keys from '" + batch.front() + "'");
    for (const auto& failure : parse_delete_result(reply.body)) {
      failed.push_back(client_.uri_of_full_key(failure.key) + " (" + failure.reason + ")");
    }
  }
  if (!failed.empty()) {
    std::string message = "DeleteObjects in " + uri() + ": " + std::to_string(failed.size()) + " of " +
                          std::to_string(keys.size()) + " keys could not be removed: ";
    for (std::size_t i = 0; i < failed.size() && i < 20; ++i) message += (i ? ", " : "") + failed[i];
    if (failed.size() > 20) message += ", ...";
    throw Error(ErrorCode::Storage, message);
  }
}

std::vector<checkpoint::PendingUpload> S3Storage::list_pending_uploads(std::string_view prefix) {
  const auto& root = client_.config().prefix;
  const std::string full_prefix = root.empty() ? std::string(prefix) : root + "/" + std::string(prefix);
  std::vector<checkpoint::PendingUpload> pending;
  std::string key_marker, upload_id_marker;
  for (;;) {
    S3Call call{"ListMultipartUploads", "GET", "", {{"uploads", ""}, {"prefix", full_prefix}}};
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!upload_id_marker.empty()) call.query.emplace_back("upload-id-marker", upload_id_marker);
    const S3Reply reply = client_.execute(call);
    if (!reply.ok()) client_.fail(call, reply, "prefix '" + full_prefix + "'");
    ListUploadsResult listed = parse_list_uploads(reply.body);
    for (auto& upload : listed.uploads) {
      pending.push_back({relative_key(upload.key), std::move(upload.upload_id), upload.initiated});
    }
    if (listed.next_key_marker.empty() && listed.next_upload_id_marker.empty()) break;
    key_marker = std::move(listed.next_key_marker);
    upload_id_marker = std::move(listed.next_upload_id_marker);
  }
  return pending;
}

void S3Storage::abort_pending_upload(const checkpoint::PendingUpload& upload) {
  checkpoint::validate_key(upload.key);
  S3Call call{"AbortMultipartUpload", "DELETE", full_key(upload.key), {{"uploadId", upload.upload_id}}};
  const S3Reply reply = client_.execute(call);
  if (!reply.ok() && reply.status != 404) client_.fail(call, reply, "upload " + upload.upload_id);
}

}  // namespace ronde::s3
