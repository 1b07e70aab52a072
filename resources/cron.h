#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace roux::resources {

/// Checks a cron schedule: five fields (minute hour day-of-month month day-of-week) of numbers,
/// `*`, ranges `a-b`, steps `/n`, lists `a,b` and names (jan..dec, sun..sat), or one of @reboot
/// @yearly @annually @monthly @weekly @daily @midnight @hourly. Returns nullopt when valid, else
/// why not ("field 2 (hour) \"25\": 25 is out of range 0-23"). Pure.
std::optional<std::string> check_cron_schedule(std::string_view schedule);

/// The line `NAME=VALUE` for a cron.d file, written so that Debian's cron reads back exactly
/// `value`: quoted ("..." or '...', a quote the value does not contain) when it is empty
/// (`MAILTO=""`; a bare `MAILTO=` makes cron ignore the whole file), starts with a blank or a
/// quote. A value cron cannot hold is an error (`*why`): a control character, blanks at the end
/// (cron cuts them), a value wrapped in a pair of the same quotes (cron removes them), a leading
/// quote or blank with both quote characters inside, a line beyond cron's 998 bytes. Pure.
std::optional<std::string> cron_env_line(std::string_view name, std::string_view value, std::string* why);

/// The header crontab(1) would write; put at the top of a crontab roux creates.
extern const char* const kCrontabHeader;

/// The marker line roux puts above each entry it manages in a user crontab.
std::string crontab_marker(std::string_view name);

/// The line managed under `name` in `crontab` (without its newline), or nullopt. Pure.
std::optional<std::string> find_crontab_entry(std::string_view crontab, std::string_view name);

/// Returns `crontab` with the entry marked `name` set to `line` (replaced in place, or appended
/// at the end with its marker), or removed with its marker when `line` is nullopt. Every other
/// line — foreign ones, other roux entries — is kept byte for byte; a last line without a newline
/// gets one only when something is appended after it. An empty crontab gets crontab(1)'s 3-line
/// header first: `crontab -l` hides the first 3 comment lines, which would hide our marker. Pure.
std::string merge_crontab(std::string_view crontab, std::string_view name, const std::optional<std::string>& line);

}  // namespace roux::resources
