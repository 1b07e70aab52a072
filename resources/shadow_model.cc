// The known effect of the shadow utilities (useradd, usermod, userdel, groupadd, groupmod,
// groupdel, chpasswd -e) as edits of /etc/passwd, /etc/group and /etc/shadow, so the planned
// host shows later resources the accounts a converge would have made: the uid useradd would pick
// (login.defs' UID_MIN/SYS_UID_MAX rules), the user's private group, the home folder, the errors
// the tools would give (a group that is still a user's primary group cannot be removed).
// Modelled on shadow 4.13 as Debian 12 ships it. What it cannot know (the files /etc/skel
// brings, the files usermod -u re-owns) it leaves out; the change is marked predicted anyway.
#include <algorithm>
#include <ctime>
#include <set>

#include "base/log.h"
#include "base/strings.h"
#include "resources/shadow_tool.h"

namespace roux::resources {
namespace {

using Defs = ShadowDefs;
Defs read_defs(const host::Host& h) { return read_shadow_defs(h); }

/// One account file as lines, edited in place and written back with its own mode and owner.
class AccountFile {
 public:
  AccountFile(host::Host& h, std::string path) : h_(h), path_(std::move(path)) {}

  Status load() {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h_.lstat(path_));
    info_ = fi;
    if (!fi.exists()) return Status::ok();
    ROUX_ASSIGN_OR_RETURN(std::string text, h_.read_file(path_, 64 << 20));
    for (std::string_view l : split_lines(text)) lines_.emplace_back(l);
    return Status::ok();
  }
  bool exists() const { return info_.exists(); }
  /// The fields of `name`'s line, or empty.
  std::vector<std::string> get(const std::string& name) const {
    for (const auto& l : lines_)
      if (starts_with(l, name + ":")) return split(l, ':');
    return {};
  }
  void put(const std::vector<std::string>& fields) {
    std::string line = join(fields, ":");
    for (auto& l : lines_)
      if (starts_with(l, fields[0] + ":")) {
        l = line;
        return;
      }
    lines_.push_back(line);
  }
  void erase(const std::string& name) {
    lines_.erase(std::remove_if(lines_.begin(), lines_.end(), [&](const std::string& l) { return starts_with(l, name + ":"); }),
                 lines_.end());
  }
  std::vector<std::string>& lines() { return lines_; }
  Status save() {
    if (!exists()) return Status::ok();
    std::string text;
    for (const auto& l : lines_) text += l + "\n";
    return h_.write_file(path_, text, info_.mode, info_.uid, info_.gid);
  }

 private:
  host::Host& h_;
  std::string path_;
  host::FileInfo info_;
  std::vector<std::string> lines_;
};

Status tool_error(const std::string& tool, int code, const std::string& text) {
  return Status::command_failed(tool + " exited " + std::to_string(code) + ": " + tool + ": " + text);
}

std::optional<uint32_t> parse_id(const std::string& s) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  unsigned long long v = std::stoull(s);
  if (v > 0xFFFFFFFEull) return std::nullopt;
  return static_cast<uint32_t>(v);
}

struct Files {
  AccountFile passwd, group, shadow;
  Files(host::Host& h) : passwd(h, "/etc/passwd"), group(h, "/etc/group"), shadow(h, "/etc/shadow") {}
  Status load() {
    ROUX_TRY(passwd.load());
    ROUX_TRY(group.load());
    return shadow.load();
  }
  Status save() {
    ROUX_TRY(passwd.save());
    ROUX_TRY(group.save());
    return shadow.save();
  }
  std::set<uint32_t> used(AccountFile& f, size_t field) {
    std::set<uint32_t> out;
    for (const auto& l : f.lines()) {
      auto v = split(l, ':');
      if (v.size() > field)
        if (auto id = parse_id(v[field])) out.insert(*id);
    }
    return out;
  }
  /// gid of a group given by name or number ("" when unknown).
  std::optional<uint32_t> gid_of(const std::string& g) {
    if (auto n = parse_id(g)) return n;
    auto f = group.get(g);
    if (f.size() < 3) return std::nullopt;
    return parse_id(f[2]);
  }
  /// Sets `user`'s membership of every group: in `want` (exact) or adds `want` (append).
  void set_groups(const std::string& user, const std::vector<std::string>& want, bool append) {
    for (auto& l : group.lines()) {
      auto f = split(l, ':');
      if (f.size() < 4) f.resize(4);
      std::vector<std::string> members = f[3].empty() ? std::vector<std::string>{} : split(f[3], ',');
      bool in = std::find(members.begin(), members.end(), user) != members.end();
      bool should = std::find(want.begin(), want.end(), f[0]) != want.end() || (append && in);
      if (should && !in) members.push_back(user);
      if (!should && in) members.erase(std::remove(members.begin(), members.end(), user), members.end());
      if (should != in) {
        f[3] = join(members, ",");
        l = join(f, ":");
      }
    }
  }
};

/// The options roux passes to useradd and usermod (user.cc builds them), read back.
struct UserArgs {
  std::optional<std::string> uid, group, groups, home, shell, comment;
  bool create_home = false, system = false;  // useradd -m / -M, --system
  bool append = false, move = false;         // usermod -a, -m
  std::string name;
};

UserArgs parse_user_args(const std::vector<std::string>& a, bool usermod) {
  UserArgs u;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& o = a[i];
    auto val = [&]() { return i + 1 < a.size() ? a[++i] : std::string(); };
    if (o == "-u") u.uid = val();
    else if (o == "-g") u.group = val();
    else if (o == "-G") u.groups = val();
    else if (o == "-d") u.home = val();
    else if (o == "-s") u.shell = val();
    else if (o == "-c") u.comment = val();
    else if (o == "-a") u.append = true;
    else if (o == "-m") (usermod ? u.move : u.create_home) = true;
    else if (o == "-M") u.create_home = false;
    else if (o == "--system" || o == "-r") u.system = true;
    else u.name = o;
  }
  return u;
}

std::string days_since_epoch() { return std::to_string(std::time(nullptr) / 86400); }

Status useradd(host::Host& h, const std::vector<std::string>& a) {
  Defs d = read_defs(h);
  Files f(h);
  ROUX_TRY(f.load());
  UserArgs u_args = parse_user_args(a, /*usermod=*/false);
  auto& [uid, group, groups, home, shell, comment, create_home, system, append, move, name] = u_args;
  (void)append, (void)move;
  if (!f.passwd.get(name).empty()) return tool_error("useradd", 9, "user '" + name + "' already exists");
  std::set<uint32_t> uids = f.used(f.passwd, 2);
  std::optional<uint32_t> u;
  if (uid) {
    u = parse_id(*uid);
    if (!u) return tool_error("useradd", 3, "invalid user ID '" + *uid + "'");
    if (uids.count(*u)) return tool_error("useradd", 4, "UID " + *uid + " is not unique");
  } else {
    u = new_account_id(uids, system, d.uid_min, d.uid_max, d.sys_uid_min, d.sys_uid_max, std::nullopt);
    if (!u) return tool_error("useradd", 4, "can't get unique UID (no more available UIDs)");
  }
  std::optional<uint32_t> g;
  if (group) {
    g = f.gid_of(*group);
    if (!g || (!parse_id(*group) && f.group.get(*group).empty()))
      return tool_error("useradd", 6, "group '" + *group + "' does not exist");
  }
  std::vector<std::string> extra = groups ? split(*groups, ',') : std::vector<std::string>{};
  for (const auto& x : extra)
    if (!f.gid_of(x) || (!parse_id(x) && f.group.get(x).empty()))
      return tool_error("useradd", 6, "group '" + x + "' does not exist");
  if (!g && d.usergroups) {
    if (!f.group.get(name).empty())
      return tool_error("useradd", 9, "group " + name + " exists - if you want to add this user to that group, use -g.");
    g = new_account_id(f.used(f.group, 2), system, d.gid_min, d.gid_max, d.sys_gid_min, d.sys_gid_max, u);
    if (!g) return tool_error("useradd", 4, "can't get unique GID (no more available GIDs)");
    f.group.put({name, "x", std::to_string(*g), ""});
  }
  if (!g) g = d.group;
  std::string hd = home.value_or(d.home + "/" + name);
  f.passwd.put({name, "x", std::to_string(*u), std::to_string(*g), comment.value_or(""), hd,
                shell.value_or(d.shell)});
  auto age = [&](uint32_t v) { return system || v == 0xFFFFFFFFu ? std::string() : std::to_string(v); };
  f.shadow.put({name, "!", days_since_epoch(), age(d.pass_min), age(d.pass_max), age(d.pass_warn), "", "", ""});
  if (!extra.empty()) f.set_groups(name, extra, true);
  ROUX_TRY(f.save());
  if (create_home) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(hd));
    if (!fi.exists()) {
      ROUX_TRY(host::make_dirs(h, host::parent_path(hd), 0755));
      ROUX_TRY(h.mkdir(hd, 0777 & ~d.umask));
      ROUX_TRY(h.chown(hd, *u, *g));
    }
  }
  return Status::ok();
}

Status usermod(host::Host& h, const std::vector<std::string>& a) {
  Files f(h);
  ROUX_TRY(f.load());
  UserArgs u_args = parse_user_args(a, /*usermod=*/true);
  auto& [uid, group, groups, home, shell, comment, create_home, system, append, move, name] = u_args;
  (void)create_home, (void)system;
  auto p = f.passwd.get(name);
  if (p.size() < 7) return tool_error("usermod", 6, "user '" + name + "' does not exist");
  if (uid) {
    auto u = parse_id(*uid);
    if (!u) return tool_error("usermod", 3, "invalid user ID '" + *uid + "'");
    for (const auto& l : f.passwd.lines()) {
      auto v = split(l, ':');
      if (v.size() > 2 && v[0] != name && v[2] == std::to_string(*u))
        return tool_error("usermod", 4, "UID '" + *uid + "' already exists");
    }
    p[2] = std::to_string(*u);
  }
  if (group) {
    auto g = f.gid_of(*group);
    if (!g || (!parse_id(*group) && f.group.get(*group).empty()))
      return tool_error("usermod", 6, "group '" + *group + "' does not exist");
    p[3] = std::to_string(*g);
  }
  if (groups) {
    std::vector<std::string> want = groups->empty() ? std::vector<std::string>{} : split(*groups, ',');
    for (const auto& x : want)
      if (f.group.get(x).empty()) return tool_error("usermod", 6, "group '" + x + "' does not exist");
    f.set_groups(name, want, append);
  }
  if (comment) p[4] = *comment;
  if (shell) p[6] = *shell;
  std::string old_home = p[5];
  if (home) p[5] = *home;
  f.passwd.put(p);
  ROUX_TRY(f.save());
  if (home && move && *home != old_home) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo old_dir, h.lstat(old_home));
    if (old_dir.type == host::FileType::kDirectory) {
      // usermod -m renames the folder: its parent must exist (usermod fails otherwise, after
      // having changed nothing in this model's order of checks).
      ROUX_ASSIGN_OR_RETURN(host::FileInfo parent, h.lstat(host::parent_path(*home)));
      if (parent.type != host::FileType::kDirectory)
        return tool_error("usermod", 12, "cannot rename directory " + old_home + " to " + *home);
      ROUX_TRY(h.mkdir(*home, old_dir.mode));
      ROUX_TRY(h.chown(*home, old_dir.uid, old_dir.gid));
      ROUX_TRY(h.remove_tree(old_home));
    }
  }
  return Status::ok();
}

Status userdel(host::Host& h, const std::vector<std::string>& a) {
  Defs d = read_defs(h);
  Files f(h);
  ROUX_TRY(f.load());
  bool remove_home = false;
  std::string name;
  for (const auto& o : a) {
    if (o == "-r") remove_home = true;
    else name = o;
  }
  auto p = f.passwd.get(name);
  if (p.size() < 7) return tool_error("userdel", 6, "user '" + name + "' does not exist");
  f.passwd.erase(name);
  f.shadow.erase(name);
  f.set_groups(name, {}, false);
  // The user's private group goes with it when nobody else uses it.
  auto g = f.group.get(name);
  if (d.usergroups && g.size() >= 3 && g[2] == p[3] && (g.size() < 4 || g[3].empty())) {
    bool other_primary = false;
    for (const auto& l : f.passwd.lines()) {
      auto v = split(l, ':');
      if (v.size() > 3 && v[3] == g[2]) other_primary = true;
    }
    if (!other_primary) f.group.erase(name);
  }
  ROUX_TRY(f.save());
  if (remove_home) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(p[5]));
    if (fi.type == host::FileType::kDirectory) ROUX_TRY(h.remove_tree(p[5]));
  }
  return Status::ok();
}

Status groupadd(host::Host& h, const std::vector<std::string>& a) {
  Defs d = read_defs(h);
  Files f(h);
  ROUX_TRY(f.load());
  std::optional<std::string> gid;
  bool system = false;
  std::string name;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "-g" && i + 1 < a.size()) gid = a[++i];
    else if (a[i] == "--system" || a[i] == "-r") system = true;
    else name = a[i];
  }
  if (!f.group.get(name).empty()) return tool_error("groupadd", 9, "group '" + name + "' already exists");
  std::set<uint32_t> used = f.used(f.group, 2);
  std::optional<uint32_t> g;
  if (gid) {
    g = parse_id(*gid);
    if (!g) return tool_error("groupadd", 3, "invalid group ID '" + *gid + "'");
    if (used.count(*g)) return tool_error("groupadd", 4, "GID '" + *gid + "' already exists");
  } else {
    g = new_account_id(used, system, d.gid_min, d.gid_max, d.sys_gid_min, d.sys_gid_max, std::nullopt);
    if (!g) return tool_error("groupadd", 4, "can't get unique GID (no more available GIDs)");
  }
  f.group.put({name, "x", std::to_string(*g), ""});
  return f.save();
}

Status groupmod(host::Host& h, const std::vector<std::string>& a) {
  Files f(h);
  ROUX_TRY(f.load());
  std::optional<std::string> gid;
  std::string name;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "-g" && i + 1 < a.size()) gid = a[++i];
    else name = a[i];
  }
  auto g = f.group.get(name);
  if (g.size() < 3) return tool_error("groupmod", 6, "group '" + name + "' does not exist");
  if (gid) {
    auto n = parse_id(*gid);
    if (!n) return tool_error("groupmod", 3, "invalid group ID '" + *gid + "'");
    for (const auto& l : f.group.lines()) {
      auto v = split(l, ':');
      if (v.size() > 2 && v[0] != name && v[2] == *gid) return tool_error("groupmod", 4, "GID '" + *gid + "' already exists");
    }
    // Users whose primary group this was follow it (groupmod -g rewrites passwd).
    for (auto& l : f.passwd.lines()) {
      auto v = split(l, ':');
      if (v.size() > 3 && v[3] == g[2]) {
        v[3] = *gid;
        l = join(v, ":");
      }
    }
    g[2] = *gid;
    f.group.put(g);
  }
  return f.save();
}

Status groupdel(host::Host& h, const std::vector<std::string>& a) {
  Files f(h);
  ROUX_TRY(f.load());
  const std::string name = a.empty() ? std::string() : a.back();
  auto g = f.group.get(name);
  if (g.size() < 3) return tool_error("groupdel", 6, "group '" + name + "' does not exist");
  for (const auto& l : f.passwd.lines()) {
    auto v = split(l, ':');
    if (v.size() > 3 && v[3] == g[2]) return tool_error("groupdel", 8, "cannot remove the primary group of user '" + v[0] + "'");
  }
  f.group.erase(name);
  return f.save();
}

Status chpasswd(host::Host& h, const std::string& input) {
  AccountFile shadow(h, "/etc/shadow");
  ROUX_TRY(shadow.load());
  for (std::string_view line : split_lines(input)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    auto e = shadow.get(name);
    if (e.size() < 2) return Status::command_failed("chpasswd exited 1: chpasswd: line 1: user '" + name + "' does not exist");
    e[1] = std::string(line.substr(colon + 1));
    shadow.put(e);
  }
  return shadow.save();
}

}  // namespace

ShadowDefs read_shadow_defs(const host::Host& h) {
  ShadowDefs d;
  if (auto t = h.read_file("/etc/login.defs", 1 << 20); t.is_ok()) {
    for (std::string_view line : split_lines(*t)) {
      line = trim(line);
      if (line.empty() || line[0] == '#') continue;
      size_t sp = line.find_first_of(" \t");
      if (sp == std::string_view::npos) continue;
      std::string key(line.substr(0, sp));
      std::string val(trim(line.substr(sp)));
      auto num = [&](uint32_t* out) {
        char* end = nullptr;
        unsigned long v = std::strtoul(val.c_str(), &end, 0);
        if (end && *end == '\0' && v <= 0xFFFFFFFEul) *out = static_cast<uint32_t>(v);
      };
      if (key == "UID_MIN") num(&d.uid_min);
      else if (key == "UID_MAX") num(&d.uid_max);
      else if (key == "SYS_UID_MIN") num(&d.sys_uid_min);
      else if (key == "SYS_UID_MAX") num(&d.sys_uid_max);
      else if (key == "GID_MIN") num(&d.gid_min);
      else if (key == "GID_MAX") num(&d.gid_max);
      else if (key == "SYS_GID_MIN") num(&d.sys_gid_min);
      else if (key == "SYS_GID_MAX") num(&d.sys_gid_max);
      else if (key == "UMASK") num(&d.umask);
      else if (key == "USERGROUPS_ENAB") d.usergroups = val == "yes";
      else if (key == "PASS_MIN_DAYS") num(&d.pass_min);
      else if (key == "PASS_MAX_DAYS") num(&d.pass_max);
      else if (key == "PASS_WARN_AGE") num(&d.pass_warn);
      else if (key == "SUB_UID_MIN") num(&d.sub_uid_min);
      else if (key == "SUB_UID_MAX") num(&d.sub_uid_max);
      else if (key == "SUB_UID_COUNT") num(&d.sub_uid_count);
      else if (key == "SUB_GID_MIN") num(&d.sub_gid_min);
      else if (key == "SUB_GID_MAX") num(&d.sub_gid_max);
      else if (key == "SUB_GID_COUNT") num(&d.sub_gid_count);
      else if (key == "HOME_MODE") {
        uint32_t m = 0xFFFFFFFFu;
        num(&m);
        if (m <= 07777) d.home_mode = m;
      } else if (key == "USE_TCB") d.use_tcb = val == "yes";
      else d.unknown_keys.push_back(key);
    }
  }
  std::string group;  // GROUP=: a gid or a group's name
  // SHELL= and HOME= go into new users' passwd lines: a ':' or a control character there would
  // shift or break the line (glibc's putpwent refuses it, and the user was left with a shadow line
  // and no passwd line). HOME= must also be absolute: the home is made below it ("xroot" made
  // the home "xroot/newu", created as /root/newu). Such a value is ignored with a warning, for
  // useradd's default.
  auto line_field = [](const char* key, std::string_view v, size_t lineno, bool absolute, std::string* out) {
    const char* why = v.find(':') != std::string_view::npos || has_control_char(v)
                          ? "holds a ':' or a control character, which a passwd line cannot"
                      : absolute && (v.empty() || v[0] != '/') ? "is not an absolute path"
                                                               : nullptr;
    if (!why) {
      *out = std::string(v);
      return;
    }
    log::warn("/etc/default/useradd:" + std::to_string(lineno) + ": " + key + "=" + escape_controls(one_line(v, 40)) +
              " " + why + ": ignored (new users get " + *out + ")");
  };
  if (auto t = h.read_file("/etc/default/useradd", 1 << 20); t.is_ok()) {
    size_t lineno = 0;
    for (std::string_view line : split_lines(*t)) {
      ++lineno;
      line = trim(line);
      if (starts_with(line, "SHELL=")) line_field("SHELL", line.substr(6), lineno, false, &d.shell);
      else if (starts_with(line, "HOME=")) line_field("HOME", line.substr(5), lineno, true, &d.home);
      else if (starts_with(line, "GROUP=")) group = std::string(trim(line.substr(6)));
      else if (starts_with(line, "SKEL=")) d.skel = std::string(line.substr(5));
      else if (!line.empty() && line[0] != '#') d.default_lines.emplace_back(line);
    }
  }
  // As useradd: a number (never read loosely: "abc" or 4294967296 is not gid 0, root), or the
  // name of a group of the root; anything else is ignored, with a warning, for the default (100).
  if (!group.empty()) {
    std::optional<uint32_t> gid = parse_id(group);
    if (!gid)
      if (auto t = h.read_file("/etc/group", 64 << 20); t.is_ok())
        for (const auto& g : host::parse_group(*t))
          if (g.name == group) gid = g.gid;
    if (gid) d.group = *gid;
    else log::warn("/etc/default/useradd: GROUP=" + escape_controls(one_line(group, 40)) +
                   " is neither a gid nor a group of the host: ignored, as useradd does (new users' group " +
                   std::to_string(d.group) + ")");
  }
  return d;
}

/// useradd's and groupadd's choice of a new id (shadow's find_new_uid/gid): a system account
/// takes the highest free id at or below SYS_*_MAX; a normal one the id after the highest used in
/// [*_MIN, *_MAX] (or the first free one when that is full). `preferred` wins when free and in range.
std::optional<uint32_t> new_account_id(const std::set<uint32_t>& used, bool system, uint32_t lo, uint32_t hi, uint32_t sys_lo,
                               uint32_t sys_hi, std::optional<uint32_t> preferred) {
  uint32_t min = system ? sys_lo : lo, max = system ? sys_hi : hi;
  if (preferred && *preferred >= min && *preferred <= max && !used.count(*preferred)) return preferred;
  if (system) {
    for (uint32_t id = max; id >= min && id != 0; --id)
      if (!used.count(id)) return id;
    return std::nullopt;
  }
  uint32_t highest = 0;
  bool any = false;
  for (uint32_t id : used)
    if (id >= min && id <= max) highest = std::max(highest, id), any = true;
  if (!any) return min;
  if (highest < max) return highest + 1;
  for (uint32_t id = min; id <= max; ++id)
    if (!used.count(id)) return id;
  return std::nullopt;
}

Status model_shadow_tool(host::Host& h, const SubprocessOptions& opts) {
  if (opts.argv.empty()) return Status::ok();
  std::vector<std::string> args(opts.argv.begin() + 1, opts.argv.end());
  if (args.size() >= 2 && args[0] == "--root") args.erase(args.begin(), args.begin() + 2);
  const std::string& tool = opts.argv[0];
  if (tool == "useradd") return useradd(h, args);
  if (tool == "usermod") return usermod(h, args);
  if (tool == "userdel") return userdel(h, args);
  if (tool == "groupadd") return groupadd(h, args);
  if (tool == "groupmod") return groupmod(h, args);
  if (tool == "groupdel") return groupdel(h, args);
  if (tool == "chpasswd") return chpasswd(h, opts.stdin_data);
  return Status::internal("no model of " + tool);
}

std::string useradd_home(const host::Host& host, const std::string& user, const std::optional<std::string>& home) {
  return home.value_or(read_defs(host).home + "/" + user);
}

}  // namespace roux::resources
