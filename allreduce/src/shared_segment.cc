// Creation protocol: the group's rank 0 creates and sizes a uniquely named segment and sends each
// other group rank a fixed-size record with the name (or an empty name when it failed); they open
// and map it. Then every rank of the job contributes "did it work here" to one small allreduce, so
// that all ranks agree on the outcome before anyone relies on the segment, and rank 0 unlinks the
// name.
#include "shared_segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "recursive_doubling_allreduce.h"

namespace ronde {

namespace {

constexpr std::size_t kNameRecord = 64;

// "/ronde-<pid>-<64 random bits>": unique among this process's segments without a counter, and
// shm_open's O_EXCL turns the unlikely collision into a clean failure.
std::string unique_name() {
  std::random_device random;
  char name[kNameRecord];
  std::snprintf(name, sizeof name, "/ronde-%ld-%08x%08x", static_cast<long>(::getpid()), random(), random());
  return name;
}

std::string failure(const char* step, int error) { return std::string(step) + ": " + std::strerror(error); }

// Maps `fd` read-write; nullptr and `why` on failure.
std::byte* map(int fd, std::size_t bytes, std::string& why) {
  void* address = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (address == MAP_FAILED) {
    why = failure("mmap", errno);
    return nullptr;
  }
  return static_cast<std::byte*>(address);
}

}  // namespace

std::unique_ptr<SharedSegment> SharedSegment::open(Transport& group, Transport& everyone, const Topology& topology,
                                                   std::size_t bytes, std::string& why) {
  std::array<char, kNameRecord> record{};
  std::byte* data = nullptr;
  std::string problem;
  if (group.rank() == 0) {
    const std::string name = unique_name();
    const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) {
      problem = failure("shm_open", errno);
    } else {
      // Reserve the pages now: a tmpfs file extended by ftruncate alone raises SIGBUS on first
      // touch when /dev/shm is full; posix_fallocate fails cleanly instead.
      const int reserved = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
      if (reserved != 0) problem = failure("reserving /dev/shm space", reserved);
      else data = map(fd, bytes, problem);
      ::close(fd);
      if (data) std::memcpy(record.data(), name.c_str(), name.size());
      else ::shm_unlink(name.c_str());
    }
    std::vector<std::unique_ptr<Transfer>> sends;
    for (int peer = 1; peer < group.size(); ++peer) sends.push_back(group.send(peer, record.data(), kNameRecord, Tag::Barrier));
    for (auto& send : sends) send->wait();
  } else {
    group.recv(0, record.data(), kNameRecord, Tag::Barrier)->wait();
    record.back() = '\0';
    if (record[0] == '\0') {
      problem = "the host's first rank could not create it";
    } else {
      const int fd = ::shm_open(record.data(), O_RDWR, 0600);
      if (fd < 0) {
        problem = failure("shm_open", errno);
      } else {
        data = map(fd, bytes, problem);
        ::close(fd);
      }
    }
  }
  // Every rank learns the lowest rank that failed (or n when none did).
  std::int64_t first_failed = problem.empty() ? everyone.size() : everyone.rank();
  std::vector<std::byte> scratch;
  recursive_doubling_allreduce(everyone, &first_failed, &first_failed, 1, DType::I64, ReduceOp::Min, scratch);
  if (group.rank() == 0 && record[0] != '\0') ::shm_unlink(record.data());
  if (first_failed == everyone.size()) return std::unique_ptr<SharedSegment>(new SharedSegment(data, bytes));
  if (data) ::munmap(data, bytes);
  const std::string size = std::to_string(bytes) + " bytes of shared memory";
  why = problem.empty() ? topology.rank_name(static_cast<int>(first_failed)) + " could not map " + size
                        : topology.rank_name(everyone.rank()) + " could not map " + size + ": " + problem;
  return nullptr;
}

SharedSegment::~SharedSegment() { ::munmap(data_, size_); }

}  // namespace ronde
