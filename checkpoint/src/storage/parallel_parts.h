// Splitting one transfer into parts that run on several threads (the file backend's large puts
// and gets; the same shape as S3's multipart uploads and ranged gets).
#pragma once

#include <cstdint>
#include <functional>

#include "ronde/checkpoint/storage.h"

namespace ronde::checkpoint {

// Calls work(offset, length) for the consecutive parts [0, part_size), [part_size, 2 part_size),
// ... of [0, total) on up to `concurrency` threads (the caller's thread is one of them). After
// each part, `progress` (if set) gets the bytes done so far and `total`; its calls are serialised
// and their counts never decrease. Once a part fails no new part starts; the first failure is
// rethrown after every thread has stopped.
void for_each_part(std::uint64_t total, std::uint64_t part_size, int concurrency,
                   const std::function<void(std::uint64_t offset, std::uint64_t length)>& work,
                   const Progress& progress);

}  // namespace ronde::checkpoint
