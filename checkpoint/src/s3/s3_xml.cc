#include "s3/s3_xml.h"

#include <pugixml.hpp>

#include <ctime>
#include <sstream>

#include "ronde/core/error.h"

namespace ronde::s3 {

namespace {

pugi::xml_document load(std::string_view body, std::string_view what) {
  pugi::xml_document doc;
  const auto result = doc.load_buffer(body.data(), body.size());
  if (!result) {
    throw Error(ErrorCode::Storage, "S3 sent a malformed " + std::string(what) + " document (" + result.description() +
                                        "): '" + std::string(body.substr(0, 200)) + "'");
  }
  return doc;
}

pugi::xml_node root(const pugi::xml_document& doc, const char* name, std::string_view body) {
  pugi::xml_node node = doc.child(name);
  if (!node) {
    throw Error(ErrorCode::Storage, std::string("S3 sent no <") + name + "> where one was expected: '" +
                                        std::string(body.substr(0, 200)) + "'");
  }
  return node;
}

std::string to_string(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

std::uint64_t to_u64(const char* text) {
  std::uint64_t value = 0;
  for (const char* c = text; *c >= '0' && *c <= '9'; ++c) value = value * 10 + static_cast<std::uint64_t>(*c - '0');
  return value;
}

std::chrono::system_clock::time_point from_tm(std::tm& tm) {
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::optional<S3ErrorDocument> parse_error_document(std::string_view body) {
  pugi::xml_document doc;
  if (body.empty() || !doc.load_buffer(body.data(), body.size())) return std::nullopt;
  const pugi::xml_node error = doc.child("Error");
  if (!error) return std::nullopt;
  return S3ErrorDocument{error.child_value("Code"), error.child_value("Message"), error.child_value("RequestId")};
}

std::string parse_upload_id(std::string_view body) {
  const auto doc = load(body, "InitiateMultipartUploadResult");
  const std::string id = root(doc, "InitiateMultipartUploadResult", body).child_value("UploadId");
  if (id.empty()) throw Error(ErrorCode::Storage, "S3 sent no UploadId in '" + std::string(body.substr(0, 200)) + "'");
  return id;
}

std::string complete_multipart_body(const std::vector<std::string>& part_etags,
                                    const std::vector<std::string>& part_crc32c) {
  pugi::xml_document doc;
  pugi::xml_node complete = doc.append_child("CompleteMultipartUpload");
  for (std::size_t i = 0; i < part_etags.size(); ++i) {
    pugi::xml_node part = complete.append_child("Part");
    part.append_child("PartNumber").text().set(static_cast<unsigned long long>(i + 1));
    part.append_child("ETag").text().set(("\"" + part_etags[i] + "\"").c_str());
    if (i < part_crc32c.size()) part.append_child("ChecksumCRC32C").text().set(part_crc32c[i].c_str());
  }
  return to_string(doc);
}

ListObjectsResult parse_list_objects(std::string_view body) {
  const auto doc = load(body, "ListBucketResult");
  const pugi::xml_node list = root(doc, "ListBucketResult", body);
  ListObjectsResult result;
  for (pugi::xml_node item : list.children("Contents")) {
    result.objects.push_back({item.child_value("Key"), to_u64(item.child_value("Size")),
                              unquote_etag(item.child_value("ETag")), parse_iso8601(item.child_value("LastModified"))});
  }
  if (std::string_view(list.child_value("IsTruncated")) == "true") {
    result.next_token = list.child_value("NextContinuationToken");
    if (result.next_token.empty()) throw Error(ErrorCode::Storage, "S3 sent a truncated listing without NextContinuationToken");
  }
  return result;
}

ListUploadsResult parse_list_uploads(std::string_view body) {
  const auto doc = load(body, "ListMultipartUploadsResult");
  const pugi::xml_node list = root(doc, "ListMultipartUploadsResult", body);
  ListUploadsResult result;
  for (pugi::xml_node item : list.children("Upload")) {
    result.uploads.push_back({item.child_value("Key"), item.child_value("UploadId"), parse_iso8601(item.child_value("Initiated"))});
  }
  if (std::string_view(list.child_value("IsTruncated")) == "true") {
    result.next_key_marker = list.child_value("NextKeyMarker");
    result.next_upload_id_marker = list.child_value("NextUploadIdMarker");
  }
  return result;
}

std::string delete_objects_body(const std::vector<std::string>& keys) {
  pugi::xml_document doc;
  pugi::xml_node del = doc.append_child("Delete");
  del.append_child("Quiet").text().set("true");
  for (const auto& key : keys) del.append_child("Object").append_child("Key").text().set(key.c_str());
  return to_string(doc);
}

std::vector<DeleteFailure> parse_delete_result(std::string_view body) {
  const auto doc = load(body, "DeleteResult");
  std::vector<DeleteFailure> failures;
  for (pugi::xml_node error : root(doc, "DeleteResult", body).children("Error")) {
    failures.push_back({error.child_value("Key"), std::string(error.child_value("Code")) + ": " + error.child_value("Message")});
  }
  return failures;
}

std::chrono::system_clock::time_point parse_iso8601(std::string_view text) {
  std::tm tm{};
  const std::string copy(text);
  if (strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return {};
  return from_tm(tm);
}

std::chrono::system_clock::time_point parse_http_date(std::string_view text) {
  std::tm tm{};
  const std::string copy(text);
  if (strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return {};
  return from_tm(tm);
}

std::string unquote_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  if (etag.starts_with("&quot;") && etag.ends_with("&quot;") && etag.size() >= 12) etag = etag.substr(6, etag.size() - 12);
  return std::string(etag);
}

}  // namespace ronde::s3
