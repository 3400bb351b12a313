// Runs `count` independent tasks on up to `concurrency` threads (the calling thread waits). The
// first task to throw stops the others from starting new tasks, and its exception is rethrown
// once every thread has finished.
#pragma once

#include <cstddef>
#include <functional>

namespace ronde::s3 {

void run_parallel(std::size_t count, int concurrency, const std::function<void(std::size_t index)>& task);

}  // namespace ronde::s3
