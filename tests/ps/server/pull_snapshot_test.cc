// The copy of a dense partition's values that pulls send (DensePartition::pull_snapshot): pulls
// of one version share one copy while any of them holds it, a new version gets a new copy, and a
// copy being sent never changes under it.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "server/dense_partition.h"

namespace ronde::ps::server {
namespace {

std::vector<float> floats(const std::shared_ptr<const std::byte[]>& bytes, std::size_t n) {
  std::vector<float> out(n);
  std::memcpy(out.data(), bytes.get(), n * sizeof(float));
  return out;
}

TEST(PullSnapshot, PullsOfOneVersionShareACopyAndANewVersionGetsItsOwn) {
  ServerOptions options;
  options.optimizer = "sum";
  DenseLayout layout;
  layout.tensor = "w";
  layout.shape = {3};
  layout.length = 3;
  DensePartition partition(layout, options);
  const std::vector<float> initial{1, 2, 3}, gradient{10, 10, 10};
  partition.set_initial(reinterpret_cast<const std::byte*>(initial.data()));

  auto first = partition.pull_snapshot();
  auto second = partition.pull_snapshot();
  EXPECT_EQ(first.get(), second.get()) << "two pulls of version 0 made two copies";
  EXPECT_EQ(floats(first, 3), initial);

  partition.apply(reinterpret_cast<const std::byte*>(gradient.data()));
  auto third = partition.pull_snapshot();
  EXPECT_NE(third.get(), first.get()) << "a pull after an update got the old copy";
  EXPECT_EQ(floats(third, 3), std::vector<float>({11, 12, 13}));
  EXPECT_EQ(floats(first, 3), initial) << "a copy being sent changed under it";

  // Once no pull holds it, nothing is kept: the next pull copies afresh (same values).
  first.reset();
  second.reset();
  third.reset();
  EXPECT_EQ(floats(partition.pull_snapshot(), 3), std::vector<float>({11, 12, 13}));
}

}  // namespace
}  // namespace ronde::ps::server
