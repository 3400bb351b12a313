// The XML documents of the S3 API that the backend reads and writes (pugixml). Parsers throw
// Error(Storage) naming the document when a required element is missing or malformed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ronde::s3 {

// <Error><Code/><Message/><RequestId/></Error>; nullopt when `body` is not an error document.
struct S3ErrorDocument {
  std::string code;
  std::string message;
  std::string request_id;
};
std::optional<S3ErrorDocument> parse_error_document(std::string_view body);

// InitiateMultipartUploadResult: the UploadId.
std::string parse_upload_id(std::string_view body);

// CompleteMultipartUpload request body: the parts' numbers (1..n, in order), ETags and (when
// given, one per part) base64 CRC-32C checksums.
std::string complete_multipart_body(const std::vector<std::string>& part_etags,
                                    const std::vector<std::string>& part_crc32c = {});

struct ListedObject {
  std::string key;  // full key in the bucket
  std::uint64_t size = 0;
  std::string etag;  // without quotes
  std::chrono::system_clock::time_point last_modified{};
};
struct ListObjectsResult {
  std::vector<ListedObject> objects;
  std::string next_token;  // empty when not truncated
};
ListObjectsResult parse_list_objects(std::string_view body);

struct ListedUpload {
  std::string key;  // full key in the bucket
  std::string upload_id;
  std::chrono::system_clock::time_point initiated{};
};
struct ListUploadsResult {
  std::vector<ListedUpload> uploads;
  std::string next_key_marker;        // both empty when not truncated
  std::string next_upload_id_marker;
};
ListUploadsResult parse_list_uploads(std::string_view body);

// DeleteObjects request body in quiet mode for `keys` (full keys), and the keys its result names
// as not deleted, each with "Code: Message".
std::string delete_objects_body(const std::vector<std::string>& keys);
struct DeleteFailure {
  std::string key;
  std::string reason;
};
std::vector<DeleteFailure> parse_delete_result(std::string_view body);

// ISO 8601 ("2024-05-01T12:00:00.000Z", as in listings) and RFC 1123 ("Wed, 01 May 2024 12:00:00
// GMT", as in Last-Modified headers); the epoch when unparsable.
std::chrono::system_clock::time_point parse_iso8601(std::string_view text);
std::chrono::system_clock::time_point parse_http_date(std::string_view text);

// An ETag without its surrounding quotes.
std::string unquote_etag(std::string_view etag);

}  // namespace ronde::s3
