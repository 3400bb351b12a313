// The fusion plan: which negotiated allreduces share one collective.
#include <gtest/gtest.h>

#include "engine/fusion_plan.h"

namespace ronde::engine {
namespace {

Request allreduce(std::string name, std::int64_t floats, Device::Kind device = Device::Kind::CPU) {
  Request request;
  request.name = std::move(name);
  request.shape = {floats};
  request.device = device;
  return request;
}

std::vector<const Request*> pointers(const std::vector<Request>& requests) {
  std::vector<const Request*> out;
  for (const Request& request : requests) out.push_back(&request);
  return out;
}

TEST(FusionPlan, SmallAllreducesShareBatchesUpToTheThreshold) {
  const std::vector<Request> runs = {allreduce("a", 100), allreduce("b", 100), allreduce("c", 100)};
  const auto batches = plan_batches(pointers(runs), {.threshold = 800, .host_tensor_limit = 1 << 20});
  ASSERT_EQ(batches.size(), 2u);  // 400 + 400 bytes, then 400
  EXPECT_EQ(batches[0].members, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(batches[1].members, (std::vector<std::size_t>{2}));
}

TEST(FusionPlan, LargeHostTensorsRunAloneInPlace) {
  // 2 MiB of floats on the host: above the 1 MiB host limit, so never copied into the buffer.
  const std::vector<Request> runs = {allreduce("small1", 10), allreduce("big", 512 * 1024), allreduce("small2", 10)};
  const auto batches = plan_batches(pointers(runs), {.threshold = 64 << 20, .host_tensor_limit = 1 << 20});
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].members, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(batches[1].members, (std::vector<std::size_t>{1}));
}

TEST(FusionPlan, CudaTensorsAreFusedWhateverTheirSize) {
  const std::vector<Request> runs = {allreduce("a", 512 * 1024, Device::Kind::CUDA),
                                     allreduce("b", 512 * 1024, Device::Kind::CUDA)};
  const auto batches = plan_batches(pointers(runs), {.threshold = 64 << 20, .host_tensor_limit = 1 << 20});
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].members.size(), 2u);
}

TEST(FusionPlan, ThresholdZeroDisablesFusion) {
  const std::vector<Request> runs = {allreduce("a", 1), allreduce("b", 1)};
  EXPECT_EQ(plan_batches(pointers(runs), {.threshold = 0, .host_tensor_limit = 1 << 20}).size(), 2u);
}

TEST(FusionPlan, DifferentDtypesOrOpsDoNotShareABatch) {
  std::vector<Request> runs = {allreduce("a", 1), allreduce("b", 1), allreduce("c", 1)};
  runs[1].dtype = DType::F64;
  runs[2].op = ReduceOp::Max;
  EXPECT_EQ(plan_batches(pointers(runs), {.threshold = 1 << 20, .host_tensor_limit = 1 << 20}).size(), 3u);
}

}  // namespace
}  // namespace ronde::engine
