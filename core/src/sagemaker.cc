#include "ronde/core/sagemaker.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "ronde/core/error.h"

namespace ronde {

namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::InvalidArgument, message); }

// "a, b, c" or "(none)".
std::string joined(const std::vector<std::string>& items) {
  if (items.empty()) return "(none)";
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "'" : ", '") + item + "'";
  return "[" + text + "]";
}

std::string uppercased(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

// True when `path` exists; an error while checking (e.g. permissions) counts as absent.
bool present(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

// Parses `text` as JSON; `source` (a file path or variable name) names it in the error.
Json parse_json(const std::string& text, const std::string& source) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    invalid(source + " is not valid JSON: " + e.what());
  }
}

Json read_json_file(const fs::path& path) {
  std::error_code error;
  if (fs::is_directory(path, error)) invalid(path.string() + " is a directory, not a JSON file");
  std::ifstream in(path, std::ios::binary);
  if (!in) invalid("cannot open " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) invalid("cannot read " + path.string());
  return parse_json(text.str(), path.string());
}

void require_object(const Json& value, const std::string& source) {
  if (!value.is_object()) invalid(source + " must hold a JSON object, not " + std::string(value.type_name()));
}

// A JSON list of non-empty strings; `what` names the file and field (or the variable) in errors.
std::vector<std::string> string_list(const Json& value, const std::string& what) {
  if (!value.is_array()) invalid(what + " must be a list of strings, not " + std::string(value.type_name()));
  std::vector<std::string> items;
  for (const Json& item : value) {
    if (!item.is_string()) invalid(what + " must hold only strings, found " + item.dump());
    if (item.get_ref<const std::string&>().empty()) invalid(what + " holds an empty host name");
    items.push_back(item.get<std::string>());
  }
  return items;
}

// The optional string field `field` of the object read from `source`.
std::optional<std::string> string_field(const Json& object, const std::string& field, const std::string& source) {
  auto it = object.find(field);
  if (it == object.end()) return std::nullopt;
  if (!it->is_string()) {
    invalid(source + " field '" + field + "' must be a string, not " + std::string(it->type_name()));
  }
  return it->get<std::string>();
}

// A value that was given, and where it came from (a file path or a variable name).
template <typename T>
struct Sourced {
  T value;
  std::string source;
};

// What resourceconfig.json says; every field is optional because SM_* variables can supply it.
struct ResourceConfig {
  std::optional<Sourced<std::string>> current_host;
  std::optional<Sourced<std::vector<std::string>>> hosts;
  std::string network_interface;
  bool found = false;  // whether the file exists
};

ResourceConfig read_resource_config(const fs::path& path) {
  ResourceConfig config;
  if (!present(path)) return config;
  config.found = true;
  const std::string source = path.string();
  const Json json = read_json_file(path);
  require_object(json, source);
  if (auto host = string_field(json, "current_host", source)) config.current_host = Sourced<std::string>{*host, source};
  if (auto it = json.find("hosts"); it != json.end()) {
    config.hosts = Sourced<std::vector<std::string>>{string_list(*it, source + " field 'hosts'"), source};
  }
  config.network_interface = string_field(json, "network_interface_name", source).value_or("");
  return config;
}

// The host list: SM_HOSTS when set, else resourceconfig.json's. Must be non-empty, no duplicates.
Sourced<std::vector<std::string>> resolve_hosts(const Environment& env, const ResourceConfig& file,
                                                const fs::path& file_path) {
  Sourced<std::vector<std::string>> hosts;
  if (auto variable = env.get("SM_HOSTS")) {
    hosts = {string_list(parse_json(*variable, "SM_HOSTS='" + *variable + "'"), "SM_HOSTS"), "SM_HOSTS"};
  } else if (file.hosts) {
    hosts = *file.hosts;
  } else {
    invalid(file_path.string() + " has no 'hosts' and SM_HOSTS is unset: the host list is unknown");
  }
  if (hosts.value.empty()) invalid(hosts.source + " lists no hosts");
  std::set<std::string> seen;
  for (const std::string& host : hosts.value) {
    if (!seen.insert(host).second) invalid(hosts.source + " lists host '" + host + "' more than once");
  }
  return hosts;
}

// This host's name: resourceconfig.json's current_host and SM_CURRENT_HOST must agree when both
// are given; it must be one of `hosts`.
std::string resolve_current_host(const Environment& env, const ResourceConfig& file, const fs::path& file_path,
                                 const Sourced<std::vector<std::string>>& hosts) {
  std::optional<Sourced<std::string>> current = file.current_host;
  if (auto variable = env.get("SM_CURRENT_HOST")) {
    if (current && current->value != *variable) {
      invalid("SM_CURRENT_HOST='" + *variable + "' contradicts current_host '" + current->value + "' in " +
              current->source);
    }
    current = Sourced<std::string>{*variable, "SM_CURRENT_HOST"};
  }
  if (!current) {
    invalid("this host's name is unknown: SM_CURRENT_HOST is unset and " + file_path.string() +
            (file.found ? " gives no 'current_host'" : " does not exist"));
  }
  const auto& list = hosts.value;
  if (std::find(list.begin(), list.end(), current->value) == list.end()) {
    invalid("current host '" + current->value + "' (from " + current->source + ") is not among the hosts " +
            quoted_list(list) + " (from " + hosts.source + ")");
  }
  return current->value;
}

// A hyperparameter as text: strings as given, other JSON values (numbers, booleans, lists) as
// their JSON text. Null has no sensible text and is an error naming the key.
std::string hyperparameter_text(const Json& value, const std::string& key, const std::string& source) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) invalid(source + " key '" + key + "' is null");
  return value.dump();
}

// SM_HPS when set, else hyperparameters.json, else none.
Hyperparameters read_hyperparameters(const Environment& env, const fs::path& file_path) {
  Json json;
  std::string source;
  if (auto variable = env.get("SM_HPS")) {
    source = "SM_HPS";
    json = parse_json(*variable, "SM_HPS='" + *variable + "'");
  } else if (present(file_path)) {
    source = file_path.string();
    json = read_json_file(file_path);
  } else {
    return Hyperparameters({}, file_path.string());
  }
  require_object(json, source);
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : json.items()) values[key] = hyperparameter_text(value, key, source);
  return Hyperparameters(std::move(values), source);
}

// Channel names from inputdataconfig.json, each at data_dir/<name> unless SM_CHANNEL_<NAME> says
// otherwise. No file means no channels.
std::map<std::string, fs::path> read_channels(const Environment& env, const fs::path& file_path,
                                              const fs::path& data_dir) {
  std::map<std::string, fs::path> channels;
  if (!present(file_path)) return channels;
  const std::string source = file_path.string();
  const Json json = read_json_file(file_path);
  require_object(json, source);
  for (const auto& [name, settings] : json.items()) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      invalid(source + " names an invalid channel '" + name + "'");
    }
    const std::string variable = "SM_CHANNEL_" + uppercased(name);
    const std::optional<std::string> override_dir = env.get(variable);
    if (override_dir && override_dir->empty()) {
      invalid(variable + "='' is empty; it must name the directory of channel '" + name + "'");
    }
    channels[name] = override_dir ? fs::path(*override_dir) : data_dir / name;
  }
  return channels;
}

int read_num_gpus(const Environment& env) {
  const std::int64_t gpus = env.get_int("SM_NUM_GPUS", 0);
  if (gpus < 0 || gpus > std::numeric_limits<int>::max()) {
    invalid("SM_NUM_GPUS='" + std::to_string(gpus) + "' must be a GPU count (0 or more)");
  }
  return static_cast<int>(gpus);
}

}  // namespace

// ---- Hyperparameters ----

std::string Hyperparameters::what(const std::string& key) const {
  return (origin_.empty() ? std::string("hyperparameters") : origin_) + " key '" + key + "'";
}

const std::string& Hyperparameters::require(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    std::vector<std::string> keys;
    for (const auto& entry : values_) keys.push_back(entry.first);
    invalid(what(key) + " is missing (keys present: " + joined(keys) + ")");
  }
  return it->second;
}

std::string Hyperparameters::get_string(const std::string& key) const { return require(key); }

std::string Hyperparameters::get_string(const std::string& key, const std::string& fallback) const {
  return contains(key) ? require(key) : fallback;
}

std::int64_t Hyperparameters::get_int(const std::string& key) const { return parse_int(require(key), what(key)); }

std::int64_t Hyperparameters::get_int(const std::string& key, std::int64_t fallback) const {
  return contains(key) ? get_int(key) : fallback;
}

double Hyperparameters::get_double(const std::string& key) const { return parse_double(require(key), what(key)); }

double Hyperparameters::get_double(const std::string& key, double fallback) const {
  return contains(key) ? get_double(key) : fallback;
}

bool Hyperparameters::get_bool(const std::string& key) const { return parse_bool(require(key), what(key)); }

bool Hyperparameters::get_bool(const std::string& key, bool fallback) const {
  return contains(key) ? get_bool(key) : fallback;
}

// ---- SageMakerConfig ----

std::optional<SageMakerConfig> SageMakerConfig::detect(const Environment& env, const fs::path& root) {
  const fs::path config_dir = root / "input" / "config";
  const fs::path resource_path = config_dir / "resourceconfig.json";
  if (!present(resource_path) && !env.get("SM_HOSTS")) return std::nullopt;

  const ResourceConfig file = read_resource_config(resource_path);
  const Sourced<std::vector<std::string>> hosts = resolve_hosts(env, file, resource_path);

  SageMakerConfig config;
  config.root = root;
  config.current_host = resolve_current_host(env, file, resource_path, hosts);
  config.hosts = hosts.value;
  config.network_interface = file.network_interface;
  config.num_gpus = read_num_gpus(env);
  if (auto model_dir = env.get("SM_MODEL_DIR")) {
    if (model_dir->empty()) invalid("SM_MODEL_DIR='' is empty; it must name the model output directory");
    config.model_dir_override = *model_dir;
  }
  config.hyperparameters = read_hyperparameters(env, config_dir / "hyperparameters.json");
  config.channels = read_channels(env, config_dir / "inputdataconfig.json", root / "input" / "data");
  return config;
}

int SageMakerConfig::host_index() const {
  auto it = std::find(hosts.begin(), hosts.end(), current_host);
  if (it == hosts.end()) {
    invalid("SageMaker current host '" + current_host + "' is not among the hosts " + quoted_list(hosts));
  }
  return static_cast<int>(it - hosts.begin());
}

fs::path SageMakerConfig::model_dir() const {
  return model_dir_override.empty() ? root / "model" : model_dir_override;
}

fs::path SageMakerConfig::checkpoint_dir() const { return root / "checkpoints"; }

fs::path SageMakerConfig::output_dir() const { return root / "output"; }

fs::path SageMakerConfig::failure_file() const { return output_dir() / "failure"; }

fs::path SageMakerConfig::channel_dir(const std::string& channel) const {
  auto it = channels.find(channel);
  if (it == channels.end()) {
    std::vector<std::string> known;
    for (const auto& entry : channels) known.push_back(entry.first);
    invalid("unknown SageMaker channel '" + channel + "'; known channels: " + joined(known));
  }
  return it->second;
}

Topology SageMakerConfig::topology() const {
  Topology topology;
  topology.rank = host_index();
  topology.size = static_cast<int>(hosts.size());
  topology.local_rank = 0;
  topology.local_size = 1;
  topology.cross_rank = topology.rank;
  topology.cross_size = topology.size;
  topology.source = TopologySource::SageMaker;
  for (const std::string& name : hosts) topology.hosts.push_back(printable_host_name(name));
  topology.host = topology.hosts[static_cast<std::size_t>(topology.rank)];
  topology.validate("SageMaker host list");
  return topology;
}

}  // namespace ronde
