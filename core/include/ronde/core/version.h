// ronde's version, as configured by CMake.
#pragma once

#include <string>

namespace ronde {

std::string version();  // "MAJOR.MINOR.PATCH"

}  // namespace ronde
