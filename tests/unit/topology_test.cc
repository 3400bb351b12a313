// Topology::describe/validate and the torchrun-style launcher variables.
#include "ronde/core/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "ronde/core/error.h"
#include "support/test_helpers.h"

namespace ronde {
namespace {

using ::testing::HasSubstr;

using ronde::testing::env_of;
using ronde::testing::error_from;

Error launcher_error(MapEnvironment env) {
  return error_from([&] { topology_from_launcher_env(env); });
}

Topology make_topology(int rank, int size, int local_rank, int local_size, int cross_rank, int cross_size) {
  Topology topology;
  topology.rank = rank;
  topology.size = size;
  topology.local_rank = local_rank;
  topology.local_size = local_size;
  topology.cross_rank = cross_rank;
  topology.cross_size = cross_size;
  return topology;
}

TEST(TopologyTest, SourcesHaveShortNames) {
  EXPECT_EQ(to_string(TopologySource::Single), "single");
  EXPECT_EQ(to_string(TopologySource::Mpi), "mpi");
  EXPECT_EQ(to_string(TopologySource::Environment), "environment");
  EXPECT_EQ(to_string(TopologySource::SageMaker), "sagemaker");
}

TEST(TopologyTest, DescribeShowsEveryNumberAndTheSource) {
  Topology topology = make_topology(1, 4, 1, 2, 0, 2);
  topology.source = TopologySource::Mpi;
  EXPECT_EQ(topology.describe(), "rank 1/4 (local 1/2, host 0/2, from mpi)");
  EXPECT_EQ(Topology().describe(), "rank 0/1 (local 0/1, host 0/1, from single)");
}

TEST(TopologyTest, DescribeAndRankNamesShowHostsWhenKnown) {
  Topology topology = make_topology(2, 5, 0, 2, 1, 3);
  topology.host = "h2";
  EXPECT_EQ(topology.describe(), "rank 2/5 (local 0/2, host 1/3 h2, from single)");
  // Without host names: plain rank lists, runs shortened.
  EXPECT_EQ(topology.rank_name(3), "rank 3");
  EXPECT_EQ(topology.ranks_phrase({0, 1, 2, 3}), "ranks 0-3");
  EXPECT_EQ(topology.ranks_phrase({0, 1, 4}), "ranks 0, 1, 4");
  // With them: consecutive ranks of one host form a group.
  topology.hosts = {"h1", "h1", "h2", "h2", "h3"};
  EXPECT_EQ(topology.rank_name(3), "rank 3 (h2)");
  EXPECT_EQ(topology.ranks_phrase({0, 1, 2, 3, 4}), "ranks 0, 1 (h1), 2, 3 (h2), 4 (h3)");
  EXPECT_EQ(topology.ranks_phrase({1, 4}), "ranks 1 (h1), 4 (h3)");
  EXPECT_EQ(topology.ranks_phrase({}), "no ranks");
  // A rank outside the list of hosts is named without one.
  EXPECT_EQ(topology.rank_name(9), "rank 9");
}

TEST(TopologyTest, HostNamesAreMadePrintableAndBounded) {
  EXPECT_EQ(printable_host_name("h1"), "h1");
  EXPECT_EQ(printable_host_name(std::string("a\nb\0c", 5) + "\x7f"), "a?b?c?");
  EXPECT_EQ(printable_host_name(std::string(100, 'x')).size(), 63u);
  EXPECT_EQ(printable_host_name("bad name"), "bad?name");
}

TEST(TopologyTest, ValidateRejectsAHostListOfAnotherSize) {
  Topology topology = make_topology(0, 2, 0, 1, 0, 2);
  topology.hosts = {"h1"};
  EXPECT_THAT(error_from([&] { topology.validate("test"); }).message(), HasSubstr("1 host names for 2 ranks"));
}

TEST(TopologyTest, ValidateAcceptsConsistentNumbers) {
  EXPECT_NO_THROW(Topology().validate("default"));
  EXPECT_NO_THROW(make_topology(5, 8, 1, 4, 1, 2).validate("test"));
  // Uneven hosts (MPI can place 3 + 1): local size times host count need not equal the size.
  EXPECT_NO_THROW(make_topology(3, 4, 0, 1, 1, 2).validate("test"));
}

TEST(TopologyTest, ValidateNamesTheOriginAndTheContradiction) {
  struct Case {
    Topology topology;
    const char* expected;
  };
  const Case cases[] = {
      {make_topology(0, 0, 0, 1, 0, 1), "size 0"},
      {make_topology(4, 4, 0, 1, 0, 1), "rank 4"},
      {make_topology(-1, 4, 0, 1, 0, 1), "rank -1"},
      {make_topology(0, 4, 2, 2, 0, 2), "local rank 2"},
      {make_topology(0, 4, 0, 2, 2, 2), "host index 2"},
      {make_topology(0, 2, 0, 3, 0, 1), "local size 3 exceeds size 2"},
      {make_topology(0, 2, 0, 1, 0, 3), "host count 3 exceeds size 2"},
      {make_topology(0, 4, 0, 3, 0, 3), "need more than size 4"},
      {make_topology(0, 4, 0, 0, 0, 1), "local size 0"},
  };
  for (const Case& c : cases) {
    const Error error = error_from([&] { c.topology.validate("mpirun world"); });
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_THAT(error.message(), HasSubstr("mpirun world"));
    EXPECT_THAT(error.message(), HasSubstr(c.expected));
  }
}

TEST(LauncherEnvTest, NoVariablesMeansNoLauncher) {
  EXPECT_EQ(topology_from_launcher_env(MapEnvironment()), std::nullopt);
  // MASTER_* alone do not make a launch.
  EXPECT_EQ(topology_from_launcher_env(env_of({{"MASTER_ADDR", "node0"}})), std::nullopt);
}

TEST(LauncherEnvTest, CompleteSetGivesEveryNumber) {
  const MapEnvironment env = env_of({{"RANK", "5"},
                            {"WORLD_SIZE", "8"},
                            {"LOCAL_RANK", "1"},
                            {"LOCAL_WORLD_SIZE", "4"},
                            {"MASTER_ADDR", "node0"},
                            {"MASTER_PORT", "29500"}});
  const std::optional<Topology> topology = topology_from_launcher_env(env);
  ASSERT_TRUE(topology.has_value());
  EXPECT_EQ(topology->rank, 5);
  EXPECT_EQ(topology->size, 8);
  EXPECT_EQ(topology->local_rank, 1);
  EXPECT_EQ(topology->local_size, 4);
  EXPECT_EQ(topology->cross_rank, 1);
  EXPECT_EQ(topology->cross_size, 2);
  EXPECT_EQ(topology->source, TopologySource::Environment);
  EXPECT_EQ(topology->master_address, "node0:29500");
  EXPECT_EQ(topology->describe(), "rank 5/8 (local 1/4, host 1/2, from environment)");
}

TEST(LauncherEnvTest, LocalVariablesDefaultToOneProcessPerHost) {
  const std::optional<Topology> topology =
      topology_from_launcher_env(env_of({{"RANK", "2"}, {"WORLD_SIZE", "3"}}));
  ASSERT_TRUE(topology.has_value());
  EXPECT_EQ(topology->local_rank, 0);
  EXPECT_EQ(topology->local_size, 1);
  EXPECT_EQ(topology->cross_rank, 2);
  EXPECT_EQ(topology->cross_size, 3);
  EXPECT_EQ(topology->master_address, "");
}

TEST(LauncherEnvTest, MissingWorldSizeIsNamed) {
  const Error error = launcher_error(env_of({{"RANK", "2"}}));
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("RANK='2'"));
  EXPECT_THAT(error.message(), HasSubstr("WORLD_SIZE is not"));
}

TEST(LauncherEnvTest, MissingRankIsNamed) {
  const Error error = launcher_error(env_of({{"WORLD_SIZE", "4"}}));
  EXPECT_THAT(error.message(), HasSubstr("WORLD_SIZE='4'"));
  EXPECT_THAT(error.message(), HasSubstr("RANK is not"));
}

TEST(LauncherEnvTest, RankMustBeBelowWorldSize) {
  Error error = launcher_error(env_of({{"RANK", "4"}, {"WORLD_SIZE", "4"}}));
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("RANK='4'"));
  EXPECT_THAT(error.message(), HasSubstr("WORLD_SIZE='4'"));

  error = launcher_error(env_of({{"RANK", "-1"}, {"WORLD_SIZE", "4"}}));
  EXPECT_THAT(error.message(), HasSubstr("RANK='-1'"));

  error = launcher_error(env_of({{"RANK", "0"}, {"WORLD_SIZE", "0"}}));
  EXPECT_THAT(error.message(), HasSubstr("WORLD_SIZE='0'"));
}

TEST(LauncherEnvTest, UnparsableNumbersNameTheVariable) {
  const Error error = launcher_error(env_of({{"RANK", "first"}, {"WORLD_SIZE", "4"}}));
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("RANK='first'"));

  EXPECT_THAT(launcher_error(env_of({{"RANK", "0"}, {"WORLD_SIZE", "99999999999"}})).message(),
              HasSubstr("WORLD_SIZE='99999999999'"));
}

TEST(LauncherEnvTest, LocalVariablesComeInPairs) {
  Error error = launcher_error(env_of({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "0"}}));
  EXPECT_THAT(error.message(), HasSubstr("LOCAL_RANK='0'"));
  EXPECT_THAT(error.message(), HasSubstr("LOCAL_WORLD_SIZE is not"));

  error = launcher_error(env_of({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "2"}}));
  EXPECT_THAT(error.message(), HasSubstr("LOCAL_RANK is not"));
}

TEST(LauncherEnvTest, LocalRankMustBeBelowLocalWorldSize) {
  const Error error = launcher_error(
      env_of({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "2"}, {"LOCAL_WORLD_SIZE", "2"}}));
  EXPECT_THAT(error.message(), HasSubstr("LOCAL_RANK='2'"));
  EXPECT_THAT(error.message(), HasSubstr("LOCAL_WORLD_SIZE='2'"));
}

TEST(LauncherEnvTest, WorldSizeMustBeAMultipleOfLocalWorldSize) {
  const Error error = launcher_error(
      env_of({{"RANK", "0"}, {"WORLD_SIZE", "6"}, {"LOCAL_RANK", "0"}, {"LOCAL_WORLD_SIZE", "4"}}));
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("WORLD_SIZE='6'"));
  EXPECT_THAT(error.message(), HasSubstr("LOCAL_WORLD_SIZE='4'"));
  EXPECT_THAT(error.message(), HasSubstr("multiple"));
}

TEST(LauncherEnvTest, LocalWorldSizeCannotExceedWorldSize) {
  const Error error = launcher_error(
      env_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "0"}, {"LOCAL_WORLD_SIZE", "4"}}));
  EXPECT_THAT(error.message(), HasSubstr("LOCAL_WORLD_SIZE='4'"));
  EXPECT_THAT(error.message(), HasSubstr("WORLD_SIZE='2'"));
}

TEST(LauncherEnvTest, BadMasterPortIsNamed) {
  for (const char* port : {"0", "65536", "-1", "http"}) {
    const Error error = launcher_error(
        env_of({{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"MASTER_ADDR", "node0"}, {"MASTER_PORT", port}}));
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument) << port;
    EXPECT_THAT(error.message(), HasSubstr("MASTER_PORT='" + std::string(port) + "'"));
  }
}

TEST(LauncherEnvTest, MasterAddressForms) {
  auto address = [](std::map<std::string, std::string, std::less<>> extra) {
    extra["RANK"] = "0";
    extra["WORLD_SIZE"] = "1";
    return topology_from_launcher_env(MapEnvironment(std::move(extra)))->master_address;
  };
  EXPECT_EQ(address({{"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "65535"}}), "10.0.0.1:65535");
  EXPECT_EQ(address({{"MASTER_ADDR", "node0"}}), "node0");
  EXPECT_EQ(address({{"MASTER_ADDR", "fe80::1"}, {"MASTER_PORT", "1"}}), "[fe80::1]:1");
  EXPECT_EQ(address({{"MASTER_PORT", "29500"}}), "");
  EXPECT_THAT(launcher_error(env_of({{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"MASTER_ADDR", ""}})).message(),
              HasSubstr("MASTER_ADDR=''"));
}

}  // namespace
}  // namespace ronde
