#include "engine/fusion_plan.h"

#include <functional>
#include <numeric>

namespace ronde::engine {

std::size_t wire_bytes(const Request& request) {
  const std::int64_t count =
      std::accumulate(request.shape.begin(), request.shape.end(), std::int64_t{1}, std::multiplies<>());
  return static_cast<std::size_t>(count) * dtype_size(wire_dtype(request));
}

bool fusable(const Request& a, const Request& b) {
  return a.kind == OpKind::Allreduce && b.kind == OpKind::Allreduce && a.dtype == b.dtype && a.op == b.op &&
         a.device == b.device && a.prescale == b.prescale && a.postscale == b.postscale &&
         a.compression == b.compression;
}

bool fusion_candidate(const Request& request, const FusionLimits& limits) {
  if (request.kind != OpKind::Allreduce || limits.threshold == 0) return false;
  const std::size_t bytes = wire_bytes(request);
  if (bytes > limits.threshold) return false;
  return request.device != Device::Kind::CPU || bytes <= limits.host_tensor_limit;
}

std::vector<Batch> plan_batches(const std::vector<const Request*>& runs, const FusionLimits& limits) {
  std::vector<Batch> batches;
  std::vector<bool> taken(runs.size(), false);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (taken[i]) continue;
    taken[i] = true;
    Batch batch{{i}};
    std::size_t bytes = wire_bytes(*runs[i]);
    if (fusion_candidate(*runs[i], limits)) {
      for (std::size_t j = i + 1; j < runs.size(); ++j) {
        if (taken[j] || !fusable(*runs[i], *runs[j]) || !fusion_candidate(*runs[j], limits)) continue;
        const std::size_t more = wire_bytes(*runs[j]);
        if (bytes + more > limits.threshold) continue;
        taken[j] = true;
        bytes += more;
        batch.members.push_back(j);
      }
    }
    batches.push_back(std::move(batch));
  }
  return batches;
}

}  // namespace ronde::engine
