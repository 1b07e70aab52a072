// cron: one scheduled command, either in its own /etc/cron.d/NAME file (owned whole by roux,
// written atomically, 0644 root:root) or as a marked entry in a user's crontab, where every line
// roux does not manage is kept byte for byte. Marking scheme in a crontab:
//
//   # roux: NAME
//   SCHEDULE COMMAND
//
// The crontab is /var/spool/cron/crontabs/USER, read and written through the Host door (0600,
// owner USER, group crontab), so it works under --root and spawns no `crontab` process. Entries of
// one crontab share a per-run read: later entries of the same user re-read only when the file's
// size or mtime changed (a write by roux itself drops the cached copy).
#include "resources/cron.h"

#include <cctype>
#include <mutex>

#include "libs/diff.h"
#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/shadow_tool.h"

namespace roux::resources {
namespace {

constexpr const char* kSpoolDir = "/var/spool/cron/crontabs";

struct Field {
  const char* name;
  int low, high;
  const char* const* names;  // index = value - name_base; nullptr when names are not allowed
  int name_base;
};
constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec", nullptr};
constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr};
constexpr Field kFields[] = {{"minute", 0, 59, nullptr, 0},
                             {"hour", 0, 23, nullptr, 0},
                             {"day of month", 1, 31, nullptr, 0},
                             {"month", 1, 12, kMonths, 1},
                             {"day of week", 0, 7, kDays, 0}};

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 4 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

/// A number or a name of `f`; error text on failure.
std::optional<std::string> parse_value(const Field& f, std::string_view s, int* out) {
  if (all_digits(s)) {
    *out = std::stoi(std::string(s));
    if (*out < f.low || *out > f.high)
      return std::string(s) + " is out of range " + std::to_string(f.low) + "-" + std::to_string(f.high);
    return std::nullopt;
  }
  if (f.names) {
    std::string lower;
    for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (int i = 0; f.names[i]; ++i)
      if (lower == f.names[i]) {
        *out = i + f.name_base;
        return std::nullopt;
      }
    return "\"" + std::string(s) + "\" is not a number or a " + (f.names == kMonths ? "month" : "day") +
           " name (" + f.names[0] + ", " + f.names[1] + ", ...)";
  }
  return "\"" + std::string(s) + "\" is not a number";
}

std::optional<std::string> check_item(const Field& f, std::string_view item) {
  std::string_view base = item, step;
  if (size_t slash = item.find('/'); slash != std::string_view::npos) {
    base = item.substr(0, slash);
    step = item.substr(slash + 1);
    if (!all_digits(step) || std::stoi(std::string(step)) < 1 || std::stoi(std::string(step)) > f.high)
      return "step \"" + std::string(step) + "\" must be a number from 1 to " + std::to_string(f.high);
    if (base != "*" && base.find('-') == std::string_view::npos)
      return "a step needs * or a range before it (\"*/" + std::string(step) + "\")";
  }
  if (base == "*") return std::nullopt;
  if (base.empty()) return std::string("empty value");
  size_t dash = base.find('-');
  int a = 0, b = 0;
  if (auto e = parse_value(f, base.substr(0, dash), &a)) return e;
  if (dash == std::string_view::npos) return std::nullopt;
  if (auto e = parse_value(f, base.substr(dash + 1), &b)) return e;
  if (a > b) return "range " + std::string(base) + " runs backwards";
  return std::nullopt;
}

/// One crontab file's content as read during this run, keyed by root + path, valid while the
/// file's size and mtime are the same. Process-wide; guarded by a mutex.
struct CachedCrontab {
  int64_t mtime_ns = 0;
  uint64_t size = 0;
  std::string content;
};
std::mutex g_cache_mu;
std::map<std::string, CachedCrontab>& cache() {
  static std::map<std::string, CachedCrontab> c;
  return c;
}

/// Content of crontab `path` ("" when missing), read once while unchanged.
Result<std::string> read_crontab(const host::Host& host, const std::string& path, host::FileInfo* info) {
  ROUX_ASSIGN_OR_RETURN(*info, host.lstat(path));
  if (!info->exists()) return std::string();
  if (info->type != host::FileType::kFile)
    return Status::conflict(path + " is a " + host::file_type_name(info->type) + ", not a crontab file");
  std::string key = host.root() + "\n" + path;
  {
    std::lock_guard lock(g_cache_mu);
    auto it = cache().find(key);
    if (it != cache().end() && it->second.mtime_ns == info->mtime_ns && it->second.size == info->size)
      return it->second.content;
  }
  ROUX_ASSIGN_OR_RETURN(std::string content, host.read_file(path, 4 << 20));
  std::lock_guard lock(g_cache_mu);
  cache()[key] = {info->mtime_ns, info->size, content};
  return content;
}

void forget_crontab(const host::Host& host, const std::string& path) {
  std::lock_guard lock(g_cache_mu);
  cache().erase(host.root() + "\n" + path);
}

class CronResource : public engine::Resource {
 public:
  explicit CronResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "cron"; }

  std::vector<std::string> implicit_deps() const override {
    // An entry being removed does not need its user to be declared first: the policy may be
    // removing both, in an order it states with requires.
    std::vector<std::string> out;
    if (!absent && user != "root") out.push_back("user[" + user + "]");
    return out;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    return in_crontab ? converge_crontab(ctx) : converge_cron_d(ctx);
  }

  bool absent = false;
  bool in_crontab = false;
  std::string schedule, command, user = "root";
  std::vector<std::pair<std::string, std::string>> environment;

 private:
  std::string cron_d_content() const {
    std::string out = "# Managed by roux: cron[" + name() + "]. Local changes will be overwritten.\n";
    for (const auto& [k, v] : environment) {
      std::string why;
      out += cron_env_line(k, v, &why).value_or(k + "=") + "\n";  // checked at compile time
    }
    out += schedule + " " + user + " " + command + "\n";
    return out;
  }

  Status converge_cron_d(engine::ConvergeContext& ctx) {
    const std::string path = "/etc/cron.d/" + name();
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path));
    if (live.exists() && live.type != host::FileType::kFile)
      return Status::conflict(path + " is a " + host::file_type_name(live.type) + ", not a file");
    if (absent) {
      if (!live.exists()) return Status::ok();
      return ctx.change({"ensure", "present", "absent"}, [&](host::Host& h) { return h.remove(path); });
    }
    const std::string want = cron_d_content();
    auto write = [&](host::Host& h) -> Status {
      ROUX_TRY(host::make_dirs(h, "/etc/cron.d", 0755));
      return h.write_file(path, want, 0644, 0, 0);
    };
    if (!live.exists())
      return ctx.change({"ensure", "absent", "present", unified_diff("", want, path)}, write);
    ROUX_ASSIGN_OR_RETURN(std::string have, ctx.host().read_file(path, 1 << 20));
    if (have != want) return ctx.change({"content", "", "", unified_diff(have, want, path)}, write);
    if ((live.mode & 07777) != 0644)
      ROUX_TRY(ctx.change({"mode", format_mode(live.mode), format_mode(0644), "", true},
                          [&](host::Host& h) { return h.chmod(path, 0644); }));
    if (live.uid != 0 || live.gid != 0)
      ROUX_TRY(ctx.change({"owner", std::to_string(live.uid) + ":" + std::to_string(live.gid), "root:root", "", true},
                          [&](host::Host& h) { return h.chown(path, 0, 0); }));
    return Status::ok();
  }

  Status converge_crontab(engine::ConvergeContext& ctx) {
    const std::string path = std::string(kSpoolDir) + "/" + user;
    ROUX_ASSIGN_OR_RETURN(auto db, ctx.host().accounts());
    const host::PasswdEntry* u = db->user(user);
    if (!u)
      return Status::not_found("user: no such user \"" + user + "\"");
    host::FileInfo live;
    ROUX_ASSIGN_OR_RETURN(std::string have, read_crontab(ctx.host(), path, &live));
    std::optional<std::string> entry = find_crontab_entry(have, name());
    const std::string want = schedule + " " + command;
    if (absent) {
      if (!entry) return Status::ok();
      return ctx.change({"entry", *entry, "absent"}, [&](host::Host& h) { return write_crontab(h, path, std::nullopt); });
    }
    if (entry != want)
      return ctx.change({"entry", entry.value_or("absent"), want},
                        [&](host::Host& h) { return write_crontab(h, path, want); });
    // Cron ignores a crontab that is not 0600 and owned by its user.
    if (u && ((live.mode & 07777) != 0600 || live.uid != u->uid)) {
      std::string before = format_mode(live.mode) + " uid " + std::to_string(live.uid);
      return ctx.change({"crontab_mode", before, "0600 uid " + std::to_string(u->uid), "", true},
                        [&](host::Host& h) { return write_crontab(h, path, want); });
    }
    return Status::ok();
  }

  /// Re-reads the crontab (it may have changed since the check), merges this entry in, and
  /// replaces the file atomically (0600, USER:crontab).
  Status write_crontab(host::Host& h, const std::string& path, const std::optional<std::string>& line) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo spool, h.lstat(kSpoolDir));
    if (spool.type != host::FileType::kDirectory)
      return Status::not_found(std::string(kSpoolDir) + " is missing: is the cron package installed?");
    ROUX_ASSIGN_OR_RETURN(auto db, h.accounts());
    const host::PasswdEntry* u = db->user(user);
    if (!u) return Status::not_found("user: no such user \"" + user + "\"");
    const host::GroupEntry* g = db->group("crontab");
    if (!g) return Status::not_found("group \"crontab\" is missing: is the cron package installed?");
    host::FileInfo live;
    ROUX_ASSIGN_OR_RETURN(std::string have, read_crontab(h, path, &live));
    std::string merged = merge_crontab(have, name(), line);
    forget_crontab(h, path);
    return h.write_file(path, merged, 0600, u->uid, g->gid);
  }
};

bool is_valid_cron_name(std::string_view n) {
  // run-parts rules: cron ignores /etc/cron.d files with dots or other characters.
  return !n.empty() && n.size() <= 200 &&
         n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string_view::npos;
}

bool is_valid_env_name(std::string_view n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  return n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string_view::npos;
}

}  // namespace

std::optional<std::string> check_cron_schedule(std::string_view schedule) {
  std::string_view s = trim(schedule);
  if (!s.empty() && s[0] == '@') {
    for (const char* k : {"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
      if (s == k) return std::nullopt;
    return "\"" + std::string(s) +
           "\" is not one of @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly";
  }
  std::vector<std::string> fields;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) fields.push_back(std::move(cur)), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) fields.push_back(std::move(cur));
  if (fields.size() != 5)
    return "expected 5 fields (minute hour day-of-month month day-of-week) or @daily etc., got " +
           std::to_string(fields.size());
  for (size_t i = 0; i < 5; ++i) {
    for (const auto& item : split(fields[i], ',')) {
      if (auto e = check_item(kFields[i], item))
        return "field " + std::to_string(i + 1) + " (" + kFields[i].name + ") \"" + fields[i] + "\": " + *e;
    }
  }
  return std::nullopt;
}

std::optional<std::string> cron_env_line(std::string_view name, std::string_view value, std::string* why) {
  // Debian's cron (env.c, load_env): an unquoted value runs to the end of the line; a value that
  // starts with ' or " runs to the same quote, and nothing but blanks may follow it; then
  // trailing blanks are cut, and one pair of matching quotes around the result is removed.
  // Measured against the real daemon by tests/e2e/sandbox_cron_daemon_runs.sh.
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      *why = "cron cannot hold a control character in an environment value";
      return std::nullopt;
    }
  if (!value.empty() && blank(value.back())) {
    *why = "cron cuts the blanks at the end of an environment value, quoted or not";
    return std::nullopt;
  }
  auto is_quote = [](char c) { return c == '"' || c == '\''; };
  if (value.size() >= 2 && is_quote(value.front()) && value.back() == value.front()) {
    *why = "cron removes a pair of quotes around an environment value";
    return std::nullopt;
  }
  bool quote = value.empty() || blank(value.front()) || is_quote(value.front());
  std::string line(name);
  line += '=';
  if (!quote) {
    line += value;
  } else {
    char q = value.find('"') == std::string_view::npos ? '"' : value.find('\'') == std::string_view::npos ? '\'' : 0;
    if (!q) {
      *why = "cron cannot hold a value that starts with a quote or a blank and contains both \" and '";
      return std::nullopt;
    }
    line += q;
    line += value;
    line += q;
  }
  if (line.size() > 998) {
    *why = "the line " + std::string(name) + "=... is " + std::to_string(line.size()) +
           " bytes; cron reads at most 998";
    return std::nullopt;
  }
  return line;
}

const char* const kCrontabHeader =
    "# DO NOT EDIT THIS FILE - edit the master and reinstall.\n"
    "# (written by roux: the line after each \"# roux: NAME\" line is managed by roux)\n"
    "# (Cron version -- roux)\n";

std::string crontab_marker(std::string_view name) { return "# roux: " + std::string(name); }

namespace {
/// Lines of `text`, each with its own terminator (the last may have none).
std::vector<std::string_view> raw_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}
std::string_view strip_eol(std::string_view l) {
  if (!l.empty() && l.back() == '\n') l.remove_suffix(1);
  return l;
}
}  // namespace

std::optional<std::string> find_crontab_entry(std::string_view crontab, std::string_view name) {
  auto lines = raw_lines(crontab);
  const std::string marker = crontab_marker(name);
  for (size_t i = 0; i < lines.size(); ++i)
    if (strip_eol(lines[i]) == marker) return i + 1 < lines.size() ? std::string(strip_eol(lines[i + 1])) : std::string();
  return std::nullopt;
}

std::string merge_crontab(std::string_view crontab, std::string_view name, const std::optional<std::string>& line) {
  auto lines = raw_lines(crontab);
  const std::string marker = crontab_marker(name);
  std::string out;
  bool done = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (strip_eol(lines[i]) != marker) {
      out += lines[i];
      continue;
    }
    // Our marker and the entry line after it: replace once; drop duplicates.
    if (i + 1 < lines.size()) ++i;
    if (line && !done) out += marker + "\n" + *line + "\n";
    done = true;
  }
  if (line && !done) {
    if (out.empty()) out = kCrontabHeader;
    if (out.back() != '\n') out += '\n';
    out += marker + "\n" + *line + "\n";
  }
  return out;
}

engine::ResourceType cron_type() {
  return {"cron", "a scheduled command in /etc/cron.d/NAME or a user's crontab (marked entries)",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            if (!is_valid_cron_name(name)) {
              props.error("invalid cron name \"" + one_line(name) +
                          "\": use letters, digits, _ and - only (cron ignores /etc/cron.d files with other "
                          "characters, such as dots)");
              // Keep reading: the other properties' errors are reported too.
            }
            auto r = std::make_unique<CronResource>(name);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            r->in_crontab = props.one_of("target", {"cron.d", "crontab"}).value_or("cron.d") == "crontab";
            if (auto u = props.string("user")) {
              if (!is_valid_account_name(*u)) props.error("user", "invalid user name \"" + one_line(*u) + "\"");
              else r->user = *u;
            }
            auto schedule = props.string("schedule");
            auto command = props.string("command");
            if (!r->absent || r->in_crontab) {
              // Present entries need both; an absent crontab entry is found by its marker alone.
              if (!r->absent && !schedule) props.error("schedule", "is required");
              if (!r->absent && !command) props.error("command", "is required");
            }
            if (schedule) {
              if (auto why = check_cron_schedule(*schedule)) props.error("schedule", *why);
              else r->schedule = std::string(trim(*schedule));
            }
            if (command) {
              if (trim(*command).empty()) props.error("command", "must not be empty");
              else if (command->find_first_of("\n\r") != std::string::npos)
                props.error("command", "must be one line (cron runs one line per entry)");
              else r->command = std::string(trim(*command));
            }
            if (const engine::Value* env = props.raw("environment")) {
              if (r->in_crontab) {
                props.error("environment",
                            "is only supported with target: cron.d (in a user crontab a variable line would "
                            "change every entry below it, including lines roux does not manage)");
              } else if (env->kind != engine::Value::Kind::kMap) {
                props.error("environment", std::string("expected a map of NAME: value, got a ") + env->kind_name());
              } else {
                for (const auto& e : env->map) {
                  if (!is_valid_env_name(e.key)) props.error("environment", "invalid variable name \"" + one_line(e.key) + "\"");
                  else if (e.value.kind != engine::Value::Kind::kScalar && e.value.kind != engine::Value::Kind::kNull)
                    props.error("environment", "value of " + e.key + " must be a string");
                  else if (e.value.scalar.find_first_of("\n\r") != std::string::npos)
                    props.error("environment", "value of " + e.key + " must be one line");
                  else if (std::string why; !cron_env_line(e.key, e.value.scalar, &why))
                    props.error("environment", "value of " + e.key + ": " + why);
                  else r->environment.emplace_back(e.key, e.value.scalar);
                }
              }
            }
            return r;
          }};
}

}  // namespace roux::resources
