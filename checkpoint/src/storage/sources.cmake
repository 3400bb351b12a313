# The storage interface (URIs, key rules, options) and the file backend.
list(APPEND checkpoint_sources
  src/storage/storage.cc            # Storage's non-virtual members, validate_key
  src/storage/storage_options.cc    # StorageOptions::from_env
  src/storage/open_storage.cc       # URI -> backend
  src/storage/range.cc              # byte ranges of gets
  src/storage/file_storage.cc       # the file backend
  src/storage/posix_file.cc
  src/storage/temp_names.cc
  src/storage/file_walk.cc
  src/storage/directories.cc
  src/storage/parallel_parts.cc)
