#include "checkpointer_fixture.h"

#include <random>
#include <set>

#include "ronde/core/error.h"

namespace ronde::checkpoint::testing {

TempRoot::TempRoot() {
  std::random_device device;
  path_ = std::filesystem::temp_directory_path() / ("ronde-ckptr-" + std::to_string(device()) + "-" +
                                                    std::to_string(device()));
  std::filesystem::create_directories(path_);
}

TempRoot::~TempRoot() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void FailingStorage::put(std::string_view key, std::span<const std::byte> data, const PutOptions& options) {
  if (fail_(key)) throw Error(ErrorCode::Storage, "injected failure: put " + uri_of(key));
  inner_->put(key, data, options);
}

ToyState::ToyState(int rank, int seed, std::size_t elements) : w(elements), b(3), pos(2) { fill(rank, seed); }

void ToyState::fill(int rank, int seed) {
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(seed) * 1000.0f + static_cast<float>(i);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = seed + 0.25 * static_cast<double>(i);
  pos[0] = seed;
  pos[1] = 100 + rank;
}

void ToyState::register_in(CheckpointState& state, bool with_per_rank) {
  state.add_replicated("w", Tensor::of(w));
  state.add_replicated("b", Tensor::of(b));
  if (with_per_rank) state.add_per_rank("pos", Tensor::of(pos));
}

std::vector<std::string> checkpoint_names(Storage& storage, bool committed_only) {
  std::set<std::string> names;
  for (const auto& object : storage.list(kCheckpointKeyPrefix)) {
    if (committed_only && !is_manifest_key(object.key)) continue;
    if (auto id = parse_checkpoint_key(object.key)) names.insert(id->name());
  }
  return {names.begin(), names.end()};
}

CheckpointerOptions test_options(std::optional<Logger> logger) {
  CheckpointerOptions options;
  options.watch_interruptions = false;
  options.plan.min_split_bytes = 256;
  options.interruption = InterruptionOptions{};
  options.storage = StorageOptions{};
  options.logger = std::move(logger);
  return options;
}

}  // namespace ronde::checkpoint::testing
