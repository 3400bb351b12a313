#include "s3/multipart_upload.h"

#include "ronde/core/error.h"
#include "s3/crc32c.h"
#include "s3/s3_xml.h"

namespace ronde::s3 {

MultipartUpload::MultipartUpload(S3Client& client, std::string key, const checkpoint::PutOptions& options,
                                 NameValues create_headers, int concurrency, std::uint64_t total_bytes)
    : client_(client), key_(std::move(key)), options_(options), concurrency_(std::max(1, concurrency)),
      total_bytes_(total_bytes) {
  create_headers.emplace_back("x-amz-checksum-algorithm", "CRC32C");
  S3Call call{"CreateMultipartUpload", "POST", key_, {{"uploads", ""}}, std::move(create_headers)};
  const S3Reply reply = client_.execute(call);
  if (!reply.ok()) client_.fail(call, reply);
  upload_id_ = parse_upload_id(reply.body);
}

MultipartUpload::~MultipartUpload() { abort(); }

void MultipartUpload::add_part(std::span<const std::byte> bytes, std::function<void()> release) {
  std::unique_lock lock(mutex_);
  if (failed_ || closed_) {
    lock.unlock();
    if (release) release();
    return;
  }
  const int number = static_cast<int>(etags_.size()) + 1;
  etags_.emplace_back();
  crc32c_.emplace_back();
  bytes_added_ += bytes.size();
  queue_.push_back({number, bytes, std::move(release)});
  if (static_cast<int>(workers_.size()) < concurrency_) workers_.emplace_back([this] { work(); });
  ready_.notify_one();
}

bool MultipartUpload::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void MultipartUpload::work() {
  for (;;) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return !queue_.empty() || closed_ || failed_; });
    if (failed_ || queue_.empty()) {
      // Nothing more to do: drop what is queued (after a failure), releasing its buffers.
      std::deque<Part> dropped;
      dropped.swap(queue_);
      lock.unlock();
      for (auto& part : dropped) {
        if (part.release) part.release();
      }
      return;
    }
    Part part = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      upload_part(part);
    } catch (...) {
      lock.lock();
      if (!failed_) error_ = std::current_exception();
      failed_ = true;
      ready_.notify_all();
      lock.unlock();
    }
    if (part.release) part.release();
  }
}

void MultipartUpload::upload_part(const Part& part) {
  const std::string checksum = crc32c_base64(part.bytes);
  S3Call call{"UploadPart", "PUT", key_, {{"partNumber", std::to_string(part.number)}, {"uploadId", upload_id_}},
              {{"x-amz-checksum-crc32c", checksum}, {"x-amz-sdk-checksum-algorithm", "CRC32C"}}, part.bytes};
  const S3Reply reply = client_.execute(call);
  const std::string what = "part " + std::to_string(part.number) + " of upload " + upload_id_;
  if (!reply.ok()) client_.fail(call, reply, what);
  const std::string etag = unquote_etag(reply.header("etag").value_or(""));
  if (etag.empty()) {
    throw Error(ErrorCode::Storage, "UploadPart " + client_.uri_of_full_key(key_) + " (" + what +
                                        "): the response has no ETag, request id " + reply.request_id);
  }
  // The count is taken and reported under one lock: two parts finishing at once must not report
  // their counts in the opposite order (progress never goes back).
  std::lock_guard progress_lock(progress_mutex_);
  std::uint64_t done = 0;
  {
    std::lock_guard lock(mutex_);
    etags_[static_cast<std::size_t>(part.number - 1)] = etag;
    crc32c_[static_cast<std::size_t>(part.number - 1)] = checksum;
    bytes_done_ += part.bytes.size();
    done = bytes_done_;
  }
  if (options_.progress) options_.progress(done, total_bytes_);
}

void MultipartUpload::stop_workers() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
  }
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

void MultipartUpload::complete() {
  stop_workers();
  if (failed_) abort_and_rethrow(error_);
  try {
    if (etags_.empty()) throw Error(ErrorCode::Internal, "a multipart upload with no parts cannot be completed");
    complete_upload();
    finished_ = true;
    if (options_.progress) options_.progress(bytes_added_, bytes_added_);
  } catch (...) {
    abort_and_rethrow(std::current_exception());
  }
}

void MultipartUpload::complete_upload() {
  const std::string body = complete_multipart_body(etags_, crc32c_);
  NameValues headers{{"Content-Type", "application/xml"}};
  if (options_.create_only) headers.emplace_back("If-None-Match", "*");
  S3Call call{"CompleteMultipartUpload", "POST", key_, {{"uploadId", upload_id_}}, std::move(headers),
              std::as_bytes(std::span(body))};
  const S3Reply reply = client_.execute(call);
  if (reply.ok()) return;
  if (reply.status == 412) {
    throw Error(ErrorCode::AlreadyExists, "CompleteMultipartUpload " + client_.uri_of_full_key(key_) +
                                              ": the key already exists (create-only put), request id " + reply.request_id);
  }
  if (reply.error_code == "NoSuchUpload" && reply.attempts > 1) {
    // An earlier attempt may have completed the upload before its response was lost: the object
    // is then there, with this upload's size and part count.
    S3Call head{"HeadObject", "HEAD", key_};
    const S3Reply object = client_.execute(head);
    const std::string suffix = "-" + std::to_string(etags_.size());
    if (object.ok() && object.header("content-length") == std::to_string(bytes_added_) &&
        unquote_etag(object.header("etag").value_or("")).ends_with(suffix)) {
      return;
    }
  }
  client_.fail(call, reply, "upload " + upload_id_);
}

std::string MultipartUpload::abort() noexcept {
  try {
    stop_workers();
    if (finished_) return {};
    finished_ = true;
    S3Call call{"AbortMultipartUpload", "DELETE", key_, {{"uploadId", upload_id_}}};
    const S3Reply reply = client_.execute(call);
    if (reply.ok() || reply.status == 404) return {};
    return "HTTP " + std::to_string(reply.status) + " " + reply.error_code + ", request id " + reply.request_id;
  } catch (const std::exception& error) {
    return error.what();
  } catch (...) {
    return "unknown error";
  }
}

void MultipartUpload::abort_and_rethrow(std::exception_ptr error) {
  const std::string abort_failure = abort();
  if (abort_failure.empty()) std::rethrow_exception(error);
  try {
    std::rethrow_exception(error);
  } catch (const Error& original) {
    throw Error(original.code(), original.message() + "; aborting upload " + upload_id_ + " failed too (" +
                                     abort_failure + "): list_pending_uploads() shows it");
  }
}

}  // namespace ronde::s3
