# AWS configuration (s3_config.h) and the credential chain (credentials.h).
list(APPEND checkpoint_sources
  src/aws/ini_file.cc
  src/aws/shared_files.cc
  src/aws/s3_uri.cc
  src/aws/endpoint_url.cc
  src/aws/s3_config.cc
  src/aws/metadata_http.cc
  src/aws/credentials_json.cc
  src/aws/environment_credentials.cc
  src/aws/profile_credentials.cc
  src/aws/container_credentials.cc
  src/aws/instance_metadata_credentials.cc
  src/aws/credentials.cc)
