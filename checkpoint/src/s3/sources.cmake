# The S3 backend: SigV4 signing, hashing, XML documents, the libcurl HTTP client, one signed and
# retried request (s3_client), multipart uploads, and the Storage operations over them.
list(APPEND checkpoint_sources
  src/s3/sigv4.cc
  src/s3/hashing.cc
  src/s3/crc32c.cc
  src/s3/s3_xml.cc
  src/s3/http_client.cc
  src/s3/retry_policy.cc
  src/s3/s3_client.cc
  src/s3/multipart_upload.cc
  src/s3/s3_storage.cc
  src/s3/s3_download.cc)
