// The SageMaker training-container contract, read without the SageMaker toolkit.
//
// The root (/opt/ml by default; RONDE_SAGEMAKER_ROOT or InitOptions overrides it for tests) holds
//   input/config/resourceconfig.json   current_host, hosts, network_interface_name
//   input/config/hyperparameters.json  every value a string (numbers arrive as "0.1")
//   input/data/<channel>/              training data channels
//   model/ output/ checkpoints/        where results go
// The toolkit's variables override the files when set: SM_HOSTS (a JSON list), SM_CURRENT_HOST,
// SM_NUM_GPUS, SM_HPS (a JSON object), SM_MODEL_DIR, SM_CHANNEL_<NAME>. A malformed file or a
// contradiction between sources is an Error(InvalidArgument) naming the file or variable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ronde/core/env.h"
#include "ronde/core/topology.h"

namespace ronde {

// hyperparameters.json as typed lookups. Values are kept as the strings SageMaker passes; the
// getters parse them and name the key in any error.
class Hyperparameters {
 public:
  Hyperparameters() = default;
  explicit Hyperparameters(std::map<std::string, std::string> values, std::string origin = "hyperparameters")
      : values_(std::move(values)), origin_(std::move(origin)) {}

  bool contains(const std::string& key) const { return values_.count(key) != 0; }
  const std::map<std::string, std::string>& all() const { return values_; }

  // Missing keys are an error naming the key; the overloads with a fallback return it instead.
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::int64_t get_int(const std::string& key) const;
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  double get_double(const std::string& key) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key) const;
  bool get_bool(const std::string& key, bool fallback) const;

 private:
  const std::string& require(const std::string& key) const;
  std::string what(const std::string& key) const;
  std::map<std::string, std::string> values_;
  std::string origin_;
};

struct SageMakerConfig {
  std::filesystem::path root;
  std::string current_host;
  std::vector<std::string> hosts;  // in the order SageMaker lists them; host index = position
  std::string network_interface;
  int num_gpus = 0;
  Hyperparameters hyperparameters;
  std::map<std::string, std::filesystem::path> channels;  // name -> data directory
  std::filesystem::path model_dir_override;  // SM_MODEL_DIR when it was set; empty otherwise

  // Reads the container layout under `root`. Returns nullopt when this is not such a container:
  // neither `root`/input/config/resourceconfig.json nor SM_HOSTS exists.
  static std::optional<SageMakerConfig> detect(const Environment& env,
                                                const std::filesystem::path& root);

  int host_index() const;  // position of current_host in hosts
  std::filesystem::path model_dir() const;       // SM_MODEL_DIR or root/model
  std::filesystem::path checkpoint_dir() const;  // root/checkpoints (synced to S3 by the platform)
  std::filesystem::path output_dir() const;      // root/output
  std::filesystem::path failure_file() const;    // root/output/failure
  std::filesystem::path channel_dir(const std::string& channel) const;  // throws if unknown

  // One process per host: rank = host index, size = number of hosts.
  Topology topology() const;
};

}  // namespace ronde
