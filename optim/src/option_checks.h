// Validation of optimizer hyperparameters, with errors that name the optimizer and the option.
#pragma once

#include <cmath>
#include <string>

#include "ronde/core/error.h"

namespace ronde::optim {

inline void require(bool ok, const std::string& optimizer, const std::string& option, double value,
                    const std::string& rule) {
  if (!ok) {
    throw Error(ErrorCode::InvalidArgument,
                optimizer + ": " + option + "=" + std::to_string(value) + " " + rule);
  }
}

inline void require_non_negative(const std::string& optimizer, const std::string& option, double value) {
  require(std::isfinite(value) && value >= 0, optimizer, option, value, "must be finite and >= 0");
}

inline void require_positive(const std::string& optimizer, const std::string& option, double value) {
  require(std::isfinite(value) && value > 0, optimizer, option, value, "must be finite and > 0");
}

// For decay rates such as beta1, beta2, alpha and momentum.
inline void require_unit_interval(const std::string& optimizer, const std::string& option, double value) {
  require(std::isfinite(value) && value >= 0 && value < 1, optimizer, option, value, "must be in [0, 1)");
}

}  // namespace ronde::optim
