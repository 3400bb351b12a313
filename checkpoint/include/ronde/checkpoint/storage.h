// Storage: the object-store interface checkpoints are written through, with two backends.
//
//   auto store = ronde::checkpoint::open_storage("s3://my-bucket/runs/run-7");
//   store->put("step-100/shard-0", bytes);                       // large objects go in parts
//   store->put("step-100/manifest.json", manifest, {.create_only = true});
//   for (const auto& object : store->list("step-")) ...           // every page
//
// URIs:
//   file:///abs/path            a directory (created on first write); keys are relative paths.
//   s3://bucket[/prefix]        an S3-compatible bucket; endpoint, region, credentials and the
//                               rest come from StorageOptions, the URI's query
//                               (?endpoint=http://127.0.0.1:9000&region=us-east-1&addressing=path)
//                               and the AWS environment (docs/STORAGE.md lists every source).
//   /abs/path or ./rel/path     a plain path means file://.
//
// Keys are '/'-separated, relative to the URI's root, non-empty, without "." or ".." segments,
// empty segments, a leading '/', or NUL: anything else is Error(InvalidArgument) naming the key.
//
// The contract both backends keep (one behavioural test suite runs against both):
//  - put is atomic: readers see the old object, or none, or the whole new one; never a part.
//    A failed put leaves no object (and no open multipart upload) behind.
//  - A get never mixes two versions of an object. When a put replaces the object during a read
//    that takes several requests (S3), the read starts again from scratch on the new version, up
//    to 5 reads in all; an object replaced during every one of them is Error(Storage) naming the
//    key and saying it kept changing. A get_stream cannot take back bytes it has delivered: a
//    replacement during a stream is Error(Storage), and every byte delivered before it belongs to
//    one version.
//  - create_only puts fail with Error(AlreadyExists) naming the key when the key exists, and
//    exactly one of several racing create-only puts of one key succeeds.
//  - get/head of a missing key: Error(NotFound) naming the key (and bucket).
//  - remove of a missing key succeeds (S3 semantics).
//  - list returns keys in lexicographic (byte) order, every page, any number of keys.
//  - Every other failure is Error(Storage), Error(Unauthenticated) or Error(Unavailable) with a
//    message naming the operation, the URI of the object (s3://bucket/key) and, for S3, the HTTP
//    status, the S3 error code and the request id.
// A Storage may be used from several threads at once.
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
#include <vector>

#include "ronde/core/env.h"

namespace ronde::checkpoint {

struct ObjectInfo {
  std::string key;                 // relative to the storage root
  std::uint64_t size = 0;
  std::string etag;                // opaque; changes when the content changes (S3: ETag without quotes)
  std::chrono::system_clock::time_point last_modified{};
  std::string checksum_crc32c;     // base64 of the big-endian CRC-32C, as S3 reports it; empty if unknown
};

// Called during long transfers with the bytes moved so far and the total (0 when unknown). May
// be called from several threads, never concurrently for one transfer.
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct PutOptions {
  bool create_only = false;        // Error(AlreadyExists) if the key exists (S3: If-None-Match: *)
  std::string content_type = "application/octet-stream";
  Progress progress{};
};

struct GetOptions {
  std::uint64_t offset = 0;                 // first byte
  std::optional<std::uint64_t> length;      // bytes from offset; none: to the end
  Progress progress{};
};

// Fills `buffer` with the next bytes of a streamed upload; returns how many it wrote, 0 at the end.
using ReadChunk = std::function<std::size_t(std::span<std::byte> buffer)>;
// Receives the bytes of a streamed download, in order.
using WriteChunk = std::function<void(std::span<const std::byte> bytes)>;

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::string next_token;  // pass to the next list_page call; empty after the last page
};

// An upload that was started and never completed or aborted (a crashed multipart upload, or a
// file backend temporary file).
struct PendingUpload {
  std::string key;
  std::string upload_id;
  std::chrono::system_clock::time_point started{};
};

enum class Addressing { Auto, Path, VirtualHosted };
enum class ServerSideEncryption { None, Aes256, Kms };

struct StorageOptions {
  // ---- transfers (both backends) ----
  // Objects larger than this are uploaded as multipart uploads (S3) and downloaded as parallel
  // ranged gets. RONDE_STORAGE_MULTIPART_THRESHOLD.
  std::size_t multipart_threshold = 16 * 1024 * 1024;
  // Part size of multipart uploads and ranged downloads; at least 5 MiB (S3's minimum).
  // RONDE_STORAGE_PART_SIZE.
  std::size_t part_size = 8 * 1024 * 1024;
  // Requests in flight at once for one object (parts, ranges). RONDE_STORAGE_CONCURRENCY.
  int concurrency = 8;

  // ---- retries (S3) ----
  // Retryable failures (timeouts, resets, HTTP 408/429/5xx, SlowDown) are retried with exponential
  // backoff from `retry_base_delay`, doubled per attempt up to `retry_max_delay`, with full jitter,
  // until `max_attempts` attempts or `retry_total_time` since the first attempt.
  // RONDE_STORAGE_MAX_ATTEMPTS, RONDE_STORAGE_RETRY_TOTAL_S.
  int max_attempts = 8;
  std::chrono::milliseconds retry_base_delay{100};
  std::chrono::milliseconds retry_max_delay{5000};
  std::chrono::milliseconds retry_total_time{120000};
  // A request that connects no faster than this, or moves no byte for `request_timeout`, fails
  // (and is retried). RONDE_STORAGE_CONNECT_TIMEOUT_S, RONDE_STORAGE_REQUEST_TIMEOUT_S.
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};

  // ---- S3 endpoint and identity (empty: from the URI query, then the AWS environment) ----
  std::string endpoint;            // "http://127.0.0.1:9000"; AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL
  std::string region;              // AWS_REGION, AWS_DEFAULT_REGION, profile; default us-east-1
  Addressing addressing = Addressing::Auto;  // Auto: virtual-hosted on AWS, path elsewhere. RONDE_S3_ADDRESSING
  std::string profile;             // AWS_PROFILE; default "default"
  std::string ca_bundle;           // PEM file of trusted CAs; AWS_CA_BUNDLE
  ServerSideEncryption sse = ServerSideEncryption::None;  // RONDE_S3_SSE (AES256 | aws:kms)
  std::string sse_kms_key_id;      // RONDE_S3_SSE_KMS_KEY_ID

  // Defaults overridden by the RONDE_STORAGE_* / RONDE_S3_* variables of `env` (AWS_* variables are
  // read when the S3 backend opens, so that URI query values can override them in between).
  static StorageOptions from_env(const Environment& env = Environment::process());
};

class Storage {
 public:
  virtual ~Storage();

  // The root this storage was opened at ("file:///ckpt" or "s3://bucket/prefix").
  virtual std::string uri() const = 0;
  // The URI of one object, for messages: uri() + "/" + key.
  std::string uri_of(std::string_view key) const;

  // Writes `data` as object `key` (in parts above multipart_threshold).
  virtual void put(std::string_view key, std::span<const std::byte> data, const PutOptions& options = {}) = 0;
  // Writes the bytes `source` yields, of a size not known in advance, as object `key`; memory use
  // is bounded by concurrency x part_size.
  virtual void put_stream(std::string_view key, const ReadChunk& source, const PutOptions& options = {}) = 0;

  // Reads bytes of `key` into `buffer` (whose size must be at least the bytes requested; with no
  // length, at least the object's size from offset) and returns how many were read. Large reads are
  // split into parallel ranged requests. A range beyond the object's end is Error(InvalidArgument).
  virtual std::size_t get(std::string_view key, std::span<std::byte> buffer, const GetOptions& options = {}) = 0;
  // Streams bytes of `key` to `sink`, in order.
  virtual void get_stream(std::string_view key, const WriteChunk& sink, const GetOptions& options = {}) = 0;
  // The whole object (or the requested range) in a new buffer.
  std::vector<std::byte> get_all(std::string_view key, const GetOptions& options = {});

  // Size, etag and checksum of `key`; Error(NotFound) if missing.
  virtual ObjectInfo head(std::string_view key) = 0;
  // As head(), but std::nullopt for a missing key.
  std::optional<ObjectInfo> try_head(std::string_view key);

  // One page of the objects whose keys start with `prefix`, in key order, at most `max_keys`
  // (1..1000) of them, continuing after `token` (empty for the first page).
  virtual ListPage list_page(std::string_view prefix, std::string_view token = {}, int max_keys = 1000) = 0;
  // Every object whose key starts with `prefix`, all pages.
  std::vector<ObjectInfo> list(std::string_view prefix = {});

  virtual void remove(std::string_view key) = 0;
  // Removes every key (S3: DeleteObjects, 1000 keys per request); a failure names the keys that
  // could not be removed.
  virtual void remove_all(std::span<const std::string> keys) = 0;

  // Uploads started under `prefix` and never finished (crashed saves), and their removal.
  virtual std::vector<PendingUpload> list_pending_uploads(std::string_view prefix = {}) = 0;
  virtual void abort_pending_upload(const PendingUpload& upload) = 0;
};

// Opens the storage at `uri` (see the top of this file). Throws Error(InvalidArgument) for a URI it
// cannot parse or an unknown scheme, naming the URI.
std::unique_ptr<Storage> open_storage(std::string_view uri, const StorageOptions& options = StorageOptions::from_env());

// Checks `key` against the rules above; throws Error(InvalidArgument) naming it.
void validate_key(std::string_view key);

}  // namespace ronde::checkpoint
