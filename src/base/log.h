#pragma once
#include <string_view>

namespace roux::log {

enum class Level { kDebug, kInfo, kWarn, kError };

/// Messages at or above `level` go to stderr. Thread-safe.
void set_level(Level level);
void debug(std::string_view msg);
void info(std::string_view msg);
void warn(std::string_view msg);
void error(std::string_view msg);

}  // namespace roux::log
