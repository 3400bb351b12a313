// CRC-32C (Castagnoli), the checksum S3 verifies per request and stores per object
// (x-amz-checksum-crc32c): with SSE4.2's crc32 instruction where the CPU has it, a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ronde::s3 {

std::uint32_t crc32c(std::span<const std::byte> data);
// Base64 of the big-endian CRC-32C of `data`, as the x-amz-checksum-crc32c header carries it.
std::string crc32c_base64(std::span<const std::byte> data);

}  // namespace ronde::s3
