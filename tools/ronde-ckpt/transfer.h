// Copying one object between any two storages. A local source file is mapped and handed to
// put() whole (read once, uploaded in parallel parts); any other source streams through a small
// bounded pipe from get_stream() into put_stream(), so memory stays a few chunks whatever the size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "ronde/checkpoint/storage.h"

namespace ronde::ckpt {

struct CopySource {
  checkpoint::Storage* storage = nullptr;
  std::string key;
  std::optional<std::filesystem::path> local_file;  // the same object as a local file, when it is one
};

struct CopyOptions {
  bool create_only = false;  // Error(AlreadyExists) if the destination exists
  bool progress = false;     // draw a progress line on stderr
};

// Returns the bytes copied. A failure leaves no destination object (put's atomicity).
std::uint64_t copy_object(const CopySource& source, checkpoint::Storage& destination,
                          const std::string& destination_key, const CopyOptions& options);

}  // namespace ronde::ckpt
