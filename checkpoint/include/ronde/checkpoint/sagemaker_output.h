// What a program tells the SageMaker platform through files under the container root.
#pragma once

#include <filesystem>
#include <string_view>

#include "ronde/core/sagemaker.h"

namespace ronde::checkpoint {

// The platform shows at most this many bytes of the failure reason.
inline constexpr std::size_t kFailureReasonLimit = 1024;

// Writes the reason of a fatal error to <root>/output/failure (SageMakerConfig::failure_file()),
// where the platform reads it as the job's FailureReason. Only the first 1024 bytes are written,
// cut at a UTF-8 character boundary. The file is replaced atomically (a temporary file in the same
// directory, fsync, rename), so the platform never reads half a reason; the output directory is
// created when missing. Error(Storage) naming the file when it cannot be written.
void write_failure_reason(const SageMakerConfig& config, std::string_view reason);
// The same for a container root given directly (/opt/ml, or a test's temporary tree).
void write_failure_reason(const std::filesystem::path& root, std::string_view reason);

}  // namespace ronde::checkpoint
