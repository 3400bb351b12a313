// S3Storage, the Storage over S3Client (see s3_storage.h and storage.h for the contract). Its
// operations live in two files: s3_storage.cc (puts, head, listings, removals, pending uploads)
// and s3_download.cc (whole, ranged, parallel and streamed gets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ronde/checkpoint/storage.h"
#include "s3/s3_client.h"

namespace ronde::s3 {

class S3Storage final : public checkpoint::Storage {
 public:
  S3Storage(aws::S3Config config, std::unique_ptr<aws::CredentialsProvider> credentials,
            const checkpoint::StorageOptions& options);

  std::string uri() const override;
  void put(std::string_view key, std::span<const std::byte> data, const checkpoint::PutOptions& options) override;
  void put_stream(std::string_view key, const checkpoint::ReadChunk& source, const checkpoint::PutOptions& options) override;
  std::size_t get(std::string_view key, std::span<std::byte> buffer, const checkpoint::GetOptions& options) override;
  void get_stream(std::string_view key, const checkpoint::WriteChunk& sink, const checkpoint::GetOptions& options) override;
  checkpoint::ObjectInfo head(std::string_view key) override;
  checkpoint::ListPage list_page(std::string_view prefix, std::string_view token, int max_keys) override;
  void remove(std::string_view key) override;
  void remove_all(std::span<const std::string> keys) override;
  std::vector<checkpoint::PendingUpload> list_pending_uploads(std::string_view prefix) override;
  void abort_pending_upload(const checkpoint::PendingUpload& upload) override;

 private:
  // The object's key in the bucket (the root prefix prepended), and back.
  std::string full_key(std::string_view key) const;
  std::string relative_key(std::string_view full) const;
  // Content-Type and SSE headers for PutObject and CreateMultipartUpload.
  NameValues write_headers(const checkpoint::PutOptions& options) const;
  // The part size for an object of `size` bytes (0: unknown): options' part size, at least 5 MiB,
  // enlarged so that no upload needs more than 10,000 parts.
  std::size_t part_size_for(std::uint64_t size) const;
  void put_single(const std::string& full, std::span<const std::byte> data, const checkpoint::PutOptions& options);
  void put_multipart(const std::string& full, std::span<const std::byte> data, const checkpoint::PutOptions& options);
  // Error(AlreadyExists) when `full` exists: spares a create-only multipart upload its parts.
  void check_absent(const std::string& full, std::string_view operation);

  // One read of get(); ObjectChanged (s3_download.cc) when the object is replaced during it.
  std::size_t get_once(std::string_view key, std::span<std::byte> buffer, const checkpoint::GetOptions& options);
  // One ranged GET (s3_download.cc): `count` bytes from `first` into `into`, which must hold them.
  struct Range {
    std::uint64_t bytes = 0;   // received
    std::uint64_t total = 0;   // the object's size
    std::string etag;
    bool unsatisfiable = false;  // HTTP 416: `first` is at or past the end
  };
  Range get_range(const std::string& full, std::uint64_t first, std::uint64_t count, std::span<std::byte> into,
                  const std::string& if_match);
  // The bytes [offset, end) the request asks for, after the first response told the size.
  std::uint64_t requested_end(const std::string& full, const checkpoint::GetOptions& options, std::uint64_t total) const;

  S3Client client_;
  checkpoint::StorageOptions options_;
};

}  // namespace ronde::s3
