#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roux::log {

enum class Level { kDebug, kInfo, kWarn, kError };

/// Messages at or above the level go to stderr (default kWarn). Thread-safe.
void set_level(Level level);
Level level();
/// The level was given on the command line (-v, -vv, --quiet, --log-level): the client config's
/// log_level: then does not override it.
void set_level_from_command_line(Level level);
bool level_from_command_line();
/// --quiet: only errors, failed resources and the summary.
void set_quiet(bool quiet);
bool quiet();
/// "debug" | "info" | "warn" (or "warning") | "error"; nullopt otherwise.
std::optional<Level> parse_level(std::string_view name);

/// Under systemd (JOURNAL_STREAM names this stderr), each line starts with its syslog priority
/// ("<3>" error, "<4>" warning, "<6>" info, "<7>" debug), which journald reads as the priority.
/// Decided once, at the first message.
bool to_journal();

void debug(std::string_view msg);
void info(std::string_view msg);
void warn(std::string_view msg);
void error(std::string_view msg);
/// A line written whatever the level (the run's closing record under journald), at priority
/// notice ("<5>").
void notice(std::string_view msg);

/// Under systemd (to_journal()): sends one entry through journald's native protocol (a datagram
/// to /run/systemd/journal/socket) with MESSAGE, PRIORITY=5 (notice), SYSLOG_IDENTIFIER=roux and
/// `fields` (NAME=value; names of A-Z, 0-9 and _, not starting with _), so `journalctl
/// ROUX_RUN_ID=...` finds it. Values are redacted and kept on one line. Returns false (nothing
/// sent) when the socket is not there or refuses: the caller then writes notice(message).
bool journal_send(std::string_view message, const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace roux::log
