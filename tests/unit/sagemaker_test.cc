// SageMakerConfig::detect over temporary /opt/ml-shaped trees, and Hyperparameters' typed getters.
#include "ronde/core/sagemaker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "ronde/core/error.h"
#include "support/temp_dir.h"
#include "support/test_helpers.h"

namespace ronde {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using ronde::testing::env_of;
using ronde::testing::error_from;

constexpr const char* kResourceConfig =
    R"({"current_host": "algo-2", "hosts": ["algo-1", "algo-2", "algo-3"],
        "network_interface_name": "eth0", "instance_groups": []})";

// Each test gets its own empty directory standing in for /opt/ml, removed afterwards.
class SageMakerTest : public ::testing::Test {
 protected:
  // Writes `content` to root/input/config/<name>, creating the directories.
  fs::path write_config(const std::string& name, const std::string& content) {
    const fs::path path = root_ / "input" / "config" / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
    return path;
  }

  // A complete container: three hosts, string hyperparameters, two channels.
  void write_valid_container() {
    write_config("resourceconfig.json", kResourceConfig);
    write_config("hyperparameters.json",
                 R"({"epochs": "10", "lr": "0.1", "shuffle": "true", "name": "resnet", "bad_int": "abc"})");
    write_config("inputdataconfig.json",
                 R"({"train": {"TrainingInputMode": "File"}, "validation": {"TrainingInputMode": "File"}})");
  }

  SageMakerConfig detect(const Environment& env) {
    std::optional<SageMakerConfig> config = SageMakerConfig::detect(env, root_);
    if (!config) throw Error(ErrorCode::Internal, "detect found no container under " + root_.string());
    return *config;
  }

  Error detect_error(const Environment& env) {
    return error_from([&] { SageMakerConfig::detect(env, root_); });
  }

  const ronde::testing::TempDir scratch_{"sagemaker"};
  const fs::path root_ = scratch_.path();
};

TEST_F(SageMakerTest, NotAContainerIsNullopt) {
  EXPECT_EQ(SageMakerConfig::detect(MapEnvironment(), root_), std::nullopt);
  EXPECT_EQ(SageMakerConfig::detect(MapEnvironment(), root_ / "does-not-exist"), std::nullopt);
  // Other files without resourceconfig.json do not make a container either.
  write_config("hyperparameters.json", R"({"epochs": "1"})");
  EXPECT_EQ(SageMakerConfig::detect(env_of({{"SM_CURRENT_HOST", "algo-1"}}), root_), std::nullopt);
}

TEST_F(SageMakerTest, ValidConfigIsReadFromTheFiles) {
  write_valid_container();
  const SageMakerConfig config = detect(MapEnvironment());
  EXPECT_EQ(config.root, root_);
  EXPECT_EQ(config.current_host, "algo-2");
  EXPECT_EQ(config.hosts, (std::vector<std::string>{"algo-1", "algo-2", "algo-3"}));
  EXPECT_EQ(config.network_interface, "eth0");
  EXPECT_EQ(config.num_gpus, 0);
  EXPECT_EQ(config.host_index(), 1);
  EXPECT_EQ(config.hyperparameters.all().size(), 5u);
  EXPECT_EQ(config.model_dir(), root_ / "model");
  EXPECT_EQ(config.checkpoint_dir(), root_ / "checkpoints");
  EXPECT_EQ(config.output_dir(), root_ / "output");
  EXPECT_EQ(config.failure_file(), root_ / "output" / "failure");
}

TEST_F(SageMakerTest, ModelDirFollowsSmModelDir) {
  write_valid_container();
  MapEnvironment env;
  env.set("SM_MODEL_DIR", "/somewhere/model");
  EXPECT_EQ(detect(env).model_dir(), std::filesystem::path("/somewhere/model"));
}

TEST_F(SageMakerTest, HyperparametersAreTyped) {
  write_valid_container();
  const Hyperparameters& hp = detect(MapEnvironment()).hyperparameters;
  EXPECT_TRUE(hp.contains("epochs"));
  EXPECT_FALSE(hp.contains("momentum"));
  EXPECT_EQ(hp.get_int("epochs"), 10);
  EXPECT_DOUBLE_EQ(hp.get_double("lr"), 0.1);
  EXPECT_TRUE(hp.get_bool("shuffle"));
  EXPECT_EQ(hp.get_string("name"), "resnet");
  EXPECT_EQ(hp.get_string("optimizer", "sgd"), "sgd");
  EXPECT_EQ(hp.get_int("batch", 32), 32);
  EXPECT_DOUBLE_EQ(hp.get_double("momentum", 0.9), 0.9);
  EXPECT_FALSE(hp.get_bool("amp", false));
  EXPECT_EQ(hp.get_int("epochs", 3), 10);  // a present key ignores the fallback
}

TEST_F(SageMakerTest, HyperparameterErrorsNameTheKeyAndFile) {
  write_valid_container();
  const Hyperparameters hp = detect(MapEnvironment()).hyperparameters;

  Error error = error_from([&] { hp.get_int("bad_int"); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("hyperparameters.json key 'bad_int'='abc' is not an integer"));

  // A bad value is an error even when a fallback is given: the fallback is for missing keys.
  error = error_from([&] { hp.get_double("name", 1.0); });
  EXPECT_THAT(error.message(), HasSubstr("hyperparameters.json key 'name'='resnet'"));

  error = error_from([&] { hp.get_bool("epochs"); });
  EXPECT_THAT(error.message(), HasSubstr("key 'epochs'='10'"));

  error = error_from([&] { hp.get_string("momentum"); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("hyperparameters.json key 'momentum' is missing"));
  EXPECT_THAT(error.message(), HasSubstr("epochs"));  // lists the keys that are there
}

TEST(HyperparametersTest, StandaloneUseNamesItsOrigin) {
  const Hyperparameters hp({{"steps", "x"}}, "job.json");
  EXPECT_EQ(error_from([&] { hp.get_int("steps"); }).message(), "job.json key 'steps'='x' is not an integer");
  EXPECT_THAT(error_from([] { Hyperparameters().get_int("steps"); }).message(), HasSubstr("key 'steps'"));
}

TEST_F(SageMakerTest, JsonNumbersAndBooleansBecomeText) {
  write_config("resourceconfig.json", kResourceConfig);
  write_config("hyperparameters.json", R"({"epochs": 10, "lr": 0.25, "shuffle": true, "layers": [1, 2]})");
  const Hyperparameters hp = detect(MapEnvironment()).hyperparameters;
  EXPECT_EQ(hp.get_string("epochs"), "10");
  EXPECT_EQ(hp.get_int("epochs"), 10);
  EXPECT_DOUBLE_EQ(hp.get_double("lr"), 0.25);
  EXPECT_EQ(hp.get_string("shuffle"), "true");
  EXPECT_TRUE(hp.get_bool("shuffle"));
  EXPECT_EQ(hp.get_string("layers"), "[1,2]");

  write_config("hyperparameters.json", R"({"epochs": null})");
  EXPECT_THAT(detect_error(MapEnvironment()).message(), HasSubstr("key 'epochs' is null"));
}

TEST_F(SageMakerTest, EnvironmentVariablesOverrideTheFiles) {
  write_valid_container();
  const MapEnvironment env = env_of({{"SM_HOSTS", R"(["algo-1", "algo-2"])"},
                            {"SM_CURRENT_HOST", "algo-2"},
                            {"SM_NUM_GPUS", "8"},
                            {"SM_HPS", R"({"epochs": "20", "lr": 0.5})"},
                            {"SM_CHANNEL_TRAIN", "/data/train"}});
  const SageMakerConfig config = detect(env);
  EXPECT_EQ(config.hosts, (std::vector<std::string>{"algo-1", "algo-2"}));
  EXPECT_EQ(config.current_host, "algo-2");
  EXPECT_EQ(config.network_interface, "eth0");  // only the file gives it
  EXPECT_EQ(config.num_gpus, 8);
  // SM_HPS replaces hyperparameters.json entirely.
  EXPECT_EQ(config.hyperparameters.get_int("epochs"), 20);
  EXPECT_DOUBLE_EQ(config.hyperparameters.get_double("lr"), 0.5);
  EXPECT_FALSE(config.hyperparameters.contains("name"));
  EXPECT_THAT(error_from([&] { config.hyperparameters.get_int("missing"); }).message(), HasSubstr("SM_HPS"));
  EXPECT_EQ(config.channel_dir("train"), fs::path("/data/train"));
  EXPECT_EQ(config.channel_dir("validation"), root_ / "input" / "data" / "validation");
}

TEST_F(SageMakerTest, VariablesAloneMakeAContainer) {
  const SageMakerConfig config =
      detect(env_of({{"SM_HOSTS", R"(["algo-1"])"}, {"SM_CURRENT_HOST", "algo-1"}}));
  EXPECT_EQ(config.hosts, std::vector<std::string>{"algo-1"});
  EXPECT_EQ(config.host_index(), 0);
  EXPECT_EQ(config.network_interface, "");
  EXPECT_TRUE(config.hyperparameters.all().empty());
  EXPECT_TRUE(config.channels.empty());

  const Error error = detect_error(env_of({{"SM_HOSTS", R"(["algo-1"])"}}));
  EXPECT_THAT(error.message(), HasSubstr("SM_CURRENT_HOST"));
}

TEST_F(SageMakerTest, MalformedJsonNamesTheFile) {
  const fs::path path = write_config("resourceconfig.json", R"({"current_host": "algo-1", )");
  Error error = detect_error(MapEnvironment());
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr(path.string()));
  EXPECT_THAT(error.message(), HasSubstr("not valid JSON"));

  write_config("resourceconfig.json", kResourceConfig);
  const fs::path hp_path = write_config("hyperparameters.json", "{epochs: 10}");
  error = detect_error(MapEnvironment());
  EXPECT_THAT(error.message(), HasSubstr(hp_path.string()));

  write_config("hyperparameters.json", "[\"epochs\"]");
  error = detect_error(MapEnvironment());
  EXPECT_THAT(error.message(), HasSubstr(hp_path.string()));
  EXPECT_THAT(error.message(), HasSubstr("object"));

  write_config("hyperparameters.json", "{}");
  const fs::path data_path = write_config("inputdataconfig.json", "{\"train\": ");
  EXPECT_THAT(detect_error(MapEnvironment()).message(), HasSubstr(data_path.string()));
}

TEST_F(SageMakerTest, MalformedVariablesAreNamed) {
  write_config("resourceconfig.json", kResourceConfig);
  EXPECT_THAT(detect_error(env_of({{"SM_HOSTS", "algo-1,algo-2"}})).message(), HasSubstr("SM_HOSTS"));
  EXPECT_THAT(detect_error(env_of({{"SM_HOSTS", R"(["algo-2", 3])"}})).message(), HasSubstr("SM_HOSTS"));
  EXPECT_THAT(detect_error(env_of({{"SM_HPS", "{"}})).message(), HasSubstr("SM_HPS"));
  EXPECT_THAT(detect_error(env_of({{"SM_HPS", "[1]"}})).message(), HasSubstr("SM_HPS"));
  EXPECT_THAT(detect_error(env_of({{"SM_NUM_GPUS", "eight"}})).message(), HasSubstr("SM_NUM_GPUS='eight'"));
  EXPECT_THAT(detect_error(env_of({{"SM_NUM_GPUS", "-1"}})).message(), HasSubstr("SM_NUM_GPUS='-1'"));
}

TEST_F(SageMakerTest, WrongTypesNameTheFileAndField) {
  const fs::path path = write_config("resourceconfig.json", R"({"current_host": "algo-1", "hosts": "algo-1"})");
  Error error = detect_error(MapEnvironment());
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr(path.string()));
  EXPECT_THAT(error.message(), HasSubstr("'hosts'"));

  write_config("resourceconfig.json", R"({"current_host": 1, "hosts": ["algo-1"]})");
  EXPECT_THAT(detect_error(MapEnvironment()).message(), HasSubstr("'current_host'"));

  write_config("resourceconfig.json", R"(["algo-1"])");
  EXPECT_THAT(detect_error(MapEnvironment()).message(), HasSubstr(path.string()));
}

TEST_F(SageMakerTest, CurrentHostMustBeAmongTheHosts) {
  const fs::path path =
      write_config("resourceconfig.json", R"({"current_host": "algo-9", "hosts": ["algo-1", "algo-2"]})");
  Error error = detect_error(MapEnvironment());
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("'algo-9'"));
  EXPECT_THAT(error.message(), HasSubstr(path.string()));

  fs::remove(path);
  error = detect_error(env_of({{"SM_HOSTS", R"(["algo-1"])"}, {"SM_CURRENT_HOST", "algo-7"}}));
  EXPECT_THAT(error.message(), HasSubstr("'algo-7' (from SM_CURRENT_HOST)"));
  EXPECT_THAT(error.message(), HasSubstr("(from SM_HOSTS)"));
}

TEST_F(SageMakerTest, ContradictingCurrentHostNamesBothSources) {
  const fs::path path = write_config("resourceconfig.json", kResourceConfig);
  const Error error = detect_error(env_of({{"SM_CURRENT_HOST", "algo-3"}}));
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("SM_CURRENT_HOST='algo-3'"));
  EXPECT_THAT(error.message(), HasSubstr("'algo-2'"));
  EXPECT_THAT(error.message(), HasSubstr(path.string()));
  // Agreeing sources are fine.
  EXPECT_EQ(detect(env_of({{"SM_CURRENT_HOST", "algo-2"}})).current_host, "algo-2");
}

TEST_F(SageMakerTest, HostListMustBeNonEmptyWithoutDuplicates) {
  const fs::path path = write_config("resourceconfig.json", R"({"current_host": "algo-1", "hosts": []})");
  EXPECT_THAT(detect_error(MapEnvironment()).message(), HasSubstr(path.string()));

  write_config("resourceconfig.json", R"({"current_host": "algo-1", "hosts": ["algo-1", "algo-2", "algo-1"]})");
  const Error error = detect_error(MapEnvironment());
  EXPECT_THAT(error.message(), HasSubstr("'algo-1' more than once"));
  EXPECT_THAT(error.message(), HasSubstr(path.string()));

  EXPECT_THAT(detect_error(env_of({{"SM_HOSTS", "[]"}})).message(), HasSubstr("SM_HOSTS"));
}

TEST_F(SageMakerTest, ChannelDirectories) {
  write_valid_container();
  const SageMakerConfig config = detect(MapEnvironment());
  EXPECT_EQ(config.channels.size(), 2u);
  EXPECT_EQ(config.channel_dir("train"), root_ / "input" / "data" / "train");
  EXPECT_EQ(config.channel_dir("validation"), root_ / "input" / "data" / "validation");

  const Error error = error_from([&] { config.channel_dir("test"); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("'test'"));
  EXPECT_THAT(error.message(), HasSubstr("train, validation"));
}

TEST_F(SageMakerTest, ChannelVariableUsesTheUppercaseName) {
  write_config("resourceconfig.json", kResourceConfig);
  write_config("inputdataconfig.json", R"({"Train_Images": {}})");
  const SageMakerConfig config = detect(env_of({{"SM_CHANNEL_TRAIN_IMAGES", "/mnt/images"}}));
  EXPECT_EQ(config.channel_dir("Train_Images"), fs::path("/mnt/images"));
}

TEST_F(SageMakerTest, TopologyIsOneProcessPerHost) {
  write_valid_container();
  const Topology topology = detect(MapEnvironment()).topology();
  EXPECT_EQ(topology.rank, 1);
  EXPECT_EQ(topology.size, 3);
  EXPECT_EQ(topology.local_rank, 0);
  EXPECT_EQ(topology.local_size, 1);
  EXPECT_EQ(topology.cross_rank, 1);
  EXPECT_EQ(topology.cross_size, 3);
  EXPECT_EQ(topology.source, TopologySource::SageMaker);
  EXPECT_EQ(topology.describe(), "rank 1/3 (local 0/1, host 1/3 algo-2, from sagemaker)");
  EXPECT_EQ(topology.host, "algo-2");
  EXPECT_EQ(topology.rank_name(2), "rank 2 (algo-3)");
}

TEST(SageMakerConfigTest, HandBuiltConfigWithUnknownHostThrows) {
  SageMakerConfig config;
  config.hosts = {"algo-1"};
  config.current_host = "elsewhere";
  EXPECT_THAT(error_from([&] { config.host_index(); }).message(), HasSubstr("'elsewhere'"));
}

}  // namespace
}  // namespace ronde
