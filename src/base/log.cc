#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "base/redact.h"
#include "base/strings.h"

namespace roux::log {
namespace {
std::atomic<Level> g_level{Level::kWarn};
std::mutex g_mu;
void emit(Level level, const char* tag, std::string_view msg) {
  if (level < g_level.load()) return;
  // No known secret ever reaches the log, and no control byte from the host's text (a file
  // name, a command's output) reaches the terminal as such (base/strings.h: escape_controls).
  std::string text = escape_controls(redact::redact(msg));
  std::lock_guard lock(g_mu);
  std::fprintf(stderr, "roux: %s%s\n", tag, text.c_str());
}
}  // namespace

void set_level(Level level) { g_level = level; }
void debug(std::string_view msg) { emit(Level::kDebug, "debug: ", msg); }
void info(std::string_view msg) { emit(Level::kInfo, "", msg); }
void warn(std::string_view msg) { emit(Level::kWarn, "warning: ", msg); }
void error(std::string_view msg) { emit(Level::kError, "error: ", msg); }

}  // namespace roux::log
