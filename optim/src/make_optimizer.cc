// make_optimizer: optimizers chosen and configured by name, for configuration files, command lines
// and parameter servers.
#include <set>
#include <string>

#include "ronde/core/env.h"
#include "ronde/core/error.h"
#include "ronde/optim/optimizer.h"

namespace ronde::optim {

namespace {

// Reads options into typed fields and, at the end, rejects any name nobody asked for.
class OptionReader {
 public:
  OptionReader(std::string optimizer, const OptionMap& options) : optimizer_(std::move(optimizer)), options_(options) {}

  void number(const std::string& key, double& field) {
    if (const std::string* text = take(key)) field = parse_double(*text, what(key));
  }
  void flag(const std::string& key, bool& field) {
    if (const std::string* text = take(key)) field = parse_bool(*text, what(key));
  }
  void finish() const {
    for (const auto& [key, value] : options_) {
      if (known_.count(key)) continue;
      std::string valid;
      for (const std::string& name : known_) valid += (valid.empty() ? "" : ", ") + name;
      throw Error(ErrorCode::InvalidArgument,
                  optimizer_ + ": unknown option '" + key + "' (valid options: " + valid + ")");
    }
  }

 private:
  const std::string* take(const std::string& key) {
    known_.insert(key);
    auto it = options_.find(key);
    return it == options_.end() ? nullptr : &it->second;
  }
  std::string what(const std::string& key) const { return optimizer_ + " option '" + key + "'"; }

  std::string optimizer_;
  const OptionMap& options_;
  std::set<std::string> known_;
};

void read_adam(OptionReader& read, AdamOptions& o) {
  read.number("lr", o.lr);
  read.number("beta1", o.beta1);
  read.number("beta2", o.beta2);
  read.number("eps", o.eps);
  read.number("weight_decay", o.weight_decay);
}

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(std::string_view name, const OptionMap& options,
                                          std::vector<Parameter> parameters) {
  const std::string optimizer(name);
  OptionReader read(optimizer, options);
  OptimizerOptions common;
  read.flag("master_weights", common.master_weights);
  if (name == "sgd") {
    SgdOptions o;
    read.number("lr", o.lr);
    read.number("momentum", o.momentum);
    read.number("dampening", o.dampening);
    read.number("weight_decay", o.weight_decay);
    read.flag("nesterov", o.nesterov);
    read.finish();
    return make_sgd(std::move(parameters), o, common);
  }
  if (name == "adam" || name == "adamw") {
    AdamOptions o;
    if (name == "adamw") o.weight_decay = 0.01;  // torch.optim.AdamW's default
    read_adam(read, o);
    read.finish();
    return name == "adam" ? make_adam(std::move(parameters), o, common) : make_adamw(std::move(parameters), o, common);
  }
  if (name == "adagrad") {
    AdagradOptions o;
    read.number("lr", o.lr);
    read.number("lr_decay", o.lr_decay);
    read.number("weight_decay", o.weight_decay);
    read.number("initial_accumulator_value", o.initial_accumulator_value);
    read.number("eps", o.eps);
    read.finish();
    return make_adagrad(std::move(parameters), o, common);
  }
  if (name == "rmsprop") {
    RmspropOptions o;
    read.number("lr", o.lr);
    read.number("alpha", o.alpha);
    read.number("eps", o.eps);
    read.number("weight_decay", o.weight_decay);
    read.number("momentum", o.momentum);
    read.flag("centered", o.centered);
    read.finish();
    return make_rmsprop(std::move(parameters), o, common);
  }
  if (name == "lamb") {
    LambOptions o;
    read.number("lr", o.lr);
    read.number("beta1", o.beta1);
    read.number("beta2", o.beta2);
    read.number("eps", o.eps);
    read.number("weight_decay", o.weight_decay);
    read.finish();
    return make_lamb(std::move(parameters), o, common);
  }
  throw Error(ErrorCode::InvalidArgument,
              "unknown optimizer '" + optimizer + "' (expected sgd, adam, adamw, adagrad, rmsprop or lamb)");
}

}  // namespace ronde::optim
