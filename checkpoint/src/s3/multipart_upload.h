// One S3 multipart upload: CreateMultipartUpload, parts uploaded in parallel, then
// CompleteMultipartUpload with the parts in order — or AbortMultipartUpload, so that a failed or
// abandoned upload leaves neither an object nor an open upload behind.
//
//   MultipartUpload upload(client, "prefix/key", options, headers, concurrency, total_bytes);
//   upload.add_part(bytes_1);  upload.add_part(bytes_2, release_buffer);   // 1, 2, ... in order
//   upload.complete();        // throws after aborting if any part or the completion failed
//
// Parts upload on up to `concurrency` threads of the upload's own; each thread hashes its part
// (SHA-256 for the signature, CRC-32C for S3's end-to-end check) itself, so hashing runs in
// parallel too. The upload asks for CRC-32C checksums (x-amz-checksum-algorithm): S3 verifies each
// part's and keeps a composite checksum of the object. The destructor aborts an
// upload that was neither completed nor aborted.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ronde/checkpoint/storage.h"
#include "s3/s3_client.h"

namespace ronde::s3 {

class MultipartUpload {
 public:
  // Starts the upload of full key `key`; `create_headers` (Content-Type, SSE) go on
  // CreateMultipartUpload. `total_bytes` (0: unknown) is reported to options.progress.
  MultipartUpload(S3Client& client, std::string key, const checkpoint::PutOptions& options, NameValues create_headers,
                  int concurrency, std::uint64_t total_bytes);
  ~MultipartUpload();
  MultipartUpload(const MultipartUpload&) = delete;
  MultipartUpload& operator=(const MultipartUpload&) = delete;

  // Queues the next part (numbers 1, 2, ... in call order). `bytes` must stay valid until
  // `release` runs (once, from any thread) or, without `release`, until complete() or abort().
  void add_part(std::span<const std::byte> bytes, std::function<void()> release = {});
  // True once a part failed: stop adding parts and call complete() to get the error.
  bool failed() const;
  // Waits for the parts, then completes the upload (If-None-Match: * when options.create_only).
  // On any failure aborts the upload and throws: Error(AlreadyExists) naming the key when a
  // create-only upload finds the key present.
  void complete();
  // Stops the part uploads and aborts the upload; never throws. Returns why the abort failed
  // (empty when it succeeded or there was nothing to abort).
  std::string abort() noexcept;

  const std::string& upload_id() const { return upload_id_; }

 private:
  struct Part {
    int number;
    std::span<const std::byte> bytes;
    std::function<void()> release;
  };
  void work();
  void upload_part(const Part& part);
  void stop_workers();
  void complete_upload();
  [[noreturn]] void abort_and_rethrow(std::exception_ptr error);

  S3Client& client_;
  std::string key_;
  checkpoint::PutOptions options_;
  int concurrency_;
  std::uint64_t total_bytes_;
  std::string upload_id_;

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Part> queue_;
  std::vector<std::string> etags_;   // etags_[n - 1] of part n
  std::vector<std::string> crc32c_;  // base64 CRC-32C of part n at [n - 1]
  std::uint64_t bytes_added_ = 0;
  std::uint64_t bytes_done_ = 0;
  bool closed_ = false;              // no more parts; workers exit when the queue is empty
  bool failed_ = false;
  std::exception_ptr error_;
  bool finished_ = false;            // completed or aborted
  std::mutex progress_mutex_;
  std::vector<std::thread> workers_;
};

}  // namespace ronde::s3
