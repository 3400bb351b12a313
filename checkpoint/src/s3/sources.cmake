list(APPEND checkpoint_sources src/s3/sigv4.cc)
