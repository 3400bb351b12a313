// Building MapEnvironments in tests (MapEnvironment({{"A", "b"}}) with a single pair is
// ambiguous with its copy constructor).
#pragma once

#include <map>
#include <string>

#include "ronde/core/env.h"

namespace ronde::testing {

using Variables = std::map<std::string, std::string, std::less<>>;

inline MapEnvironment env_with(Variables variables) { return MapEnvironment(std::move(variables)); }

}  // namespace ronde::testing
