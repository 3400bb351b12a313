// The file backend of Storage (see include/ronde/checkpoint/storage.h for the contract).
#pragma once

#include <filesystem>
#include <memory>

#include "ronde/checkpoint/storage.h"

namespace ronde::checkpoint {

// A Storage rooted at directory `root` (created on first write).
std::unique_ptr<Storage> open_file_storage(const std::filesystem::path& root, const StorageOptions& options);

}  // namespace ronde::checkpoint
