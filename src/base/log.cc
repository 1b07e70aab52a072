#include "base/log.h"
#include "base/log_capture.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "base/redact.h"
#include "base/strings.h"

namespace roux::log {
namespace {
std::atomic<Level> g_level{Level::kWarn};
std::atomic<bool> g_from_command_line{false};
std::atomic<bool> g_quiet{false};
std::mutex g_mu;
thread_local std::vector<CapturedLine>* t_capture = nullptr;  // Capture

/// JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected to stdout/stderr; it holds
/// for this stderr only when they match (a child of a unit may have been redirected since).
bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js || !*js) return false;
  struct stat st;
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) && ino == static_cast<unsigned long long>(st.st_ino);
}

void write_line(int priority, const char* tag, std::string_view msg) {
  if (t_capture) {
    t_capture->push_back({priority, std::string(tag) + std::string(msg)});
    return;
  }
  // No known secret ever reaches the log, and no control byte from the host's text (a file
  // name, a command's output) reaches the terminal as such (base/strings.h: escape_controls).
  std::string text = escape_controls(redact::redact(msg));
  std::lock_guard lock(g_mu);
  if (to_journal()) std::fprintf(stderr, "<%d>roux: %s%s\n", priority, tag, text.c_str());
  else std::fprintf(stderr, "roux: %s%s\n", tag, text.c_str());
}

void emit(Level level, int priority, const char* tag, std::string_view msg) {
  if (level < g_level.load()) return;
  write_line(priority, tag, msg);
}
}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level.load(); }
void set_level_from_command_line(Level level) {
  g_level = level;
  g_from_command_line = true;
}
bool level_from_command_line() { return g_from_command_line.load(); }
void set_quiet(bool quiet) { g_quiet = quiet; }
bool quiet() { return g_quiet.load(); }

std::optional<Level> parse_level(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  return std::nullopt;
}

bool to_journal() {
  static const bool journal = stderr_is_journal();
  return journal;
}

void debug(std::string_view msg) { emit(Level::kDebug, 7, "debug: ", msg); }
void info(std::string_view msg) { emit(Level::kInfo, 6, "", msg); }
void warn(std::string_view msg) { emit(Level::kWarn, 4, "warning: ", msg); }
void error(std::string_view msg) { emit(Level::kError, 3, "error: ", msg); }
void notice(std::string_view msg) { write_line(5, "", msg); }

Capture::Capture(std::vector<CapturedLine>* into) : outer_(t_capture) { t_capture = into; }
Capture::~Capture() { t_capture = outer_; }

void replay(const std::vector<CapturedLine>& lines) {
  for (const auto& l : lines) write_line(l.priority, "", l.text);
}

bool journal_send(std::string_view message, const std::vector<std::pair<std::string, std::string>>& fields) {
  const char* path = std::getenv("ROUX_JOURNAL_SOCKET");  // tests only: a receiver of their own
  if (!path || !*path) path = "/run/systemd/journal/socket";
  // One value per line, no control byte (escape_controls turns a newline into "\n"), so the
  // simple "NAME=value\n" form of the protocol holds for every field.
  auto value = [](std::string_view v) { return escape_controls(redact::redact(v)); };
  std::string dgram = "MESSAGE=roux: " + value(message) + "\nPRIORITY=5\nSYSLOG_IDENTIFIER=roux\n";
  for (const auto& [name, v] : fields) {
    bool ok = !name.empty() && name[0] != '_' && name.size() <= 64;
    for (char c : name) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    if (ok) dgram += name + "=" + value(v) + "\n";
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (std::strlen(path) >= sizeof addr.sun_path) return false;
  std::strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t n = sendto(fd, dgram.data(), dgram.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  close(fd);
  return n == static_cast<ssize_t>(dgram.size());
}

}  // namespace roux::log
