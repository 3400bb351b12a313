// The engine's statistics (Engine::Stats), written by the engine's thread, read by any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "ronde/allreduce/engine.h"

namespace ronde::engine {

struct Counters {
  std::atomic<std::uint64_t> cycles{0};
  std::atomic<std::uint64_t> operations{0};
  std::atomic<std::uint64_t> collectives{0};
  std::atomic<std::uint64_t> fused_tensors{0};
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::uint64_t> coordinator_round_trips{0};

  Engine::Stats snapshot() const {
    Engine::Stats stats;
    stats.cycles = cycles.load();
    stats.operations = operations.load();
    stats.collectives = collectives.load();
    stats.fused_tensors = fused_tensors.load();
    stats.cache_hits = cache_hits.load();
    stats.coordinator_round_trips = coordinator_round_trips.load();
    return stats;
  }
};

}  // namespace ronde::engine
