#pragma once
// timezone (timezone.cc): pure helpers, exposed for unit tests.
#include <string_view>

namespace roux::resources {

/// A zoneinfo name: "/"-separated parts of letters, digits, "_", "+" and "-", none empty, none
/// starting with "." or "-" (so never leaving /usr/share/zoneinfo), at most 100 bytes.
bool is_valid_timezone_name(std::string_view zone);

}  // namespace roux::resources
