// Names of the file backend's temporary files: ".<name>.ronde-tmp-<16 hex digits>", written next
// to the object <name> they will be renamed to. list() never shows them; list_pending_uploads()
// reports those that are left over (a put in progress, or one a crash interrupted).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ronde::checkpoint {

// A fresh temporary name for the object file `name` (random suffix from std::random_device).
std::string make_temp_name(std::string_view name);
// The object file name a temporary name belongs to, or nullopt when `name` is not one.
std::optional<std::string> temp_target(std::string_view name);
inline bool is_temp_name(std::string_view name) { return temp_target(name).has_value(); }

}  // namespace ronde::checkpoint
