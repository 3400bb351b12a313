list(APPEND checkpoint_sources src/s3/sigv4.cc src/s3/s3_storage.cc)
