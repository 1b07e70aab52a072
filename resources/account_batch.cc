// Users created in one locked pass instead of one useradd process each (see account_batch.h and
// docs/design.md "Accounts in one pass"). The lines are formatted by the libc (putpwent,
// putspent, putgrent, putsgent) and a group line to extend is read back by it (fgetgrent,
// fgetsgent); every other line of the files is kept byte for byte, as shadow's commonio does.
// Every read and write goes through the host door, so the planned host runs the same pass.
#include "resources/account_batch.h"

#include <grp.h>
#include <gshadow.h>
#include <pwd.h>
#include <shadow.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <set>

#include "base/log.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "resources/shadow_tool.h"

namespace roux::resources {
namespace {

/// What `fn(FILE*)` prints, through open_memstream.
template <typename Fn>
std::string print_to_string(Fn fn) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (!f) return {};
  fn(f);
  fclose(f);
  std::string out(buf ? buf : "", len);
  free(buf);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

/// Reads one line with `reader` (fgetgrent, fgetsgent) over fmemopen, and passes the entry to
/// `use`; false when the libc does not read it as an entry.
template <typename Entry, typename Reader, typename Use>
bool read_line(const std::string& line, Reader reader, Use use) {
  std::string text = line + "\n";
  FILE* f = fmemopen(text.data(), text.size(), "r");
  if (!f) return false;
  Entry* e = reader(f);
  bool ok = e != nullptr;
  if (ok) use(*e);
  fclose(f);
  return ok;
}

std::string first_field(const std::string& line) { return line.substr(0, line.find(':')); }

/// One account file: its lines as they are, the entry they had, whether the pass changed it.
struct AccountText {
  std::string path;
  host::FileInfo info;
  std::string original;
  std::vector<std::string> lines;
  bool changed = false;

  Status load(const host::Host& h) {
    ROUX_ASSIGN_OR_RETURN(info, h.lstat(path));
    if (!info.exists()) return Status::ok();
    if (info.type != host::FileType::kFile) return Status::io_msg(path + " is not a regular file");
    ROUX_ASSIGN_OR_RETURN(original, h.read_file(path, 64 << 20));
    for (std::string_view l : split_lines(original)) lines.emplace_back(l);
    return Status::ok();
  }
  bool exists() const { return info.exists(); }
  void append(std::string line) {
    lines.push_back(std::move(line));
    changed = true;
  }
  std::string text() const {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
  /// Like shadow's tools: the old file as FILE- (same mode and owner), then the new one.
  Status save(host::Host& h) const {
    if (!changed) return Status::ok();
    ROUX_TRY(h.write_file(path + "-", original, info.mode, info.uid, info.gid));
    return h.write_file(path, text(), info.mode, info.uid, info.gid);
  }
};

/// The pass's journal: written before its first account file is replaced, removed once the last
/// one is in place. Each line "PATH SHA256-BEFORE SHA256-AFTER" for a file the pass rewrites. A
/// pass killed between two renames leaves it: the next pass puts back, from its FILE- copy, each
/// file that holds exactly this pass's new text (a group line without its user would otherwise
/// stop the user's creation for good: "group exists"), then starts again from the old files.
constexpr const char* kJournal = "/etc/.roux-account-pass";

/// Rolls back what a killed pass left (its journal), under the lock; nothing when there is none.
Status roll_back_killed_pass(host::Host& h) {
  ROUX_ASSIGN_OR_RETURN(host::FileInfo ji, h.lstat(kJournal));
  if (!ji.exists()) return Status::ok();
  ROUX_ASSIGN_OR_RETURN(std::string journal, h.read_file(kJournal, 1 << 20));
  for (const auto& line : split_lines(journal)) {
    auto f = split(line, ' ');
    static const std::set<std::string> kFiles = {"/etc/group", "/etc/gshadow", "/etc/subuid",
                                                 "/etc/subgid", "/etc/shadow", "/etc/passwd"};
    if (f.size() != 3 || !kFiles.count(f[0])) continue;  // only the files a pass writes
    const std::string &path = f[0], &before = f[1], &after = f[2];
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(path));
    if (!fi.exists() || fi.type != host::FileType::kFile) continue;
    ROUX_ASSIGN_OR_RETURN(std::string now, h.read_file(path, 64 << 20));
    if (sha256_hex(now) != after) continue;  // not replaced yet (or changed since: left as it is)
    auto old = h.read_file(path + "-", 64 << 20);
    if (!old.is_ok() || sha256_hex(*old) != before) {
      log::warn(path + ": a killed account pass replaced it and its " + path + "- copy is gone; kept as it is");
      continue;
    }
    ROUX_TRY(h.write_file(path, *old, fi.mode, fi.uid, fi.gid));
    log::warn(path + ": left half done by a killed account pass (" + std::string(kJournal) +
              "): the pass starts again from " + path + "-");
  }
  ROUX_TRY(h.sync_changed_dirs());
  return h.remove(kJournal);
}

struct Staged {
  NewUser u;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

long today() {
  long d = static_cast<long>(std::time(nullptr) / 86400);
  return d == 0 ? -1 : d;  // useradd: "better disable aging than requiring a password change"
}

/// shadow's find_free_range: the lowest hole of `count` ids in [min, max] before, between or
/// after the ranges, taken in file order.
std::optional<uint64_t> free_range(const std::vector<std::pair<uint64_t, uint64_t>>& ranges, uint64_t min,
                                   uint64_t max, uint64_t count) {
  if (count == 0 || max < min) return std::nullopt;
  uint64_t low = min;
  for (const auto& [start, n] : ranges) {
    if (n == 0) continue;
    uint64_t last = start + n - 1;
    uint64_t high = std::min(start, max + 1);
    if (high > low && high - low >= count) return low;
    if (low < last + 1) low = last + 1;
    if (low > max) return std::nullopt;
  }
  if (max - low + 1 >= count) return low;
  return std::nullopt;
}

/// A subordinate id file (/etc/subuid, /etc/subgid): "name:start:count" lines.
struct SubIds {
  AccountText file;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  std::set<std::string> owners;
  void index() {
    for (const auto& l : file.lines) {
      auto f = split(l, ':');
      if (f.size() != 3) continue;
      char* e1 = nullptr;
      char* e2 = nullptr;
      unsigned long long s = std::strtoull(f[1].c_str(), &e1, 10), n = std::strtoull(f[2].c_str(), &e2, 10);
      if (f[1].empty() || f[2].empty() || *e1 || *e2) continue;
      owners.insert(f[0]);
      ranges.push_back({s, n});
    }
  }
  /// useradd: a range for `name` unless it has one already.
  Status add(const std::string& name, uint32_t min, uint32_t max, uint32_t count, const char* what) {
    if (!file.exists() || count == 0 || owners.count(name)) return Status::ok();
    auto start = free_range(ranges, min, max, count);
    if (!start) return Status::conflict(std::string("can't create subordinate ") + what + " IDs");
    ranges.push_back({*start, count});
    owners.insert(name);
    file.append(name + ":" + std::to_string(*start) + ":" + std::to_string(count));
    return Status::ok();
  }
};

/// Copies the skeleton `from` into the new home `to` as useradd -m does (shadow's copy_tree):
/// every entry owned by the user (a symbolic link's own owner too), modes kept, modification
/// times kept (a folder's after its entries are in), and a link whose target starts with the
/// skeleton's path (`skel_top`) pointing at the same place in the home (`home_top`) instead.
Status copy_skel(host::Host& h, const std::string& from, const std::string& to, uid_t uid, gid_t gid,
                 const std::string& skel_top, const std::string& home_top, int depth) {
  if (depth > 32) return Status::io_msg("skeleton " + from + " is nested too deep");
  auto names = h.list_dir(from);
  if (!names.is_ok()) return Status::ok();  // no skeleton: an empty home, as useradd
  for (const auto& n : *names) {
    std::string src = from + "/" + n, dst = to + "/" + n;
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(src));
    if (fi.type == host::FileType::kDirectory) {
      ROUX_TRY(h.mkdir(dst, fi.mode & 07777));
      ROUX_TRY(h.chown(dst, uid, gid));
      ROUX_TRY(h.chmod(dst, fi.mode & 07777));
      ROUX_TRY(copy_skel(h, src, dst, uid, gid, skel_top, home_top, depth + 1));
    } else if (fi.type == host::FileType::kFile) {
      ROUX_ASSIGN_OR_RETURN(std::string data, h.read_file(src, 64 << 20));
      ROUX_TRY(h.write_file(dst, data, fi.mode & 07777, uid, gid));
    } else if (fi.type == host::FileType::kSymlink) {
      ROUX_ASSIGN_OR_RETURN(std::string target, h.readlink(src));
      // shadow compares the bare prefix (strncmp), so it does here too.
      if (target.compare(0, skel_top.size(), skel_top) == 0) target = home_top + target.substr(skel_top.size());
      ROUX_TRY(h.symlink(target, dst));
      ROUX_TRY(h.chown(dst, uid, gid));
    } else {
      continue;
    }
    ROUX_TRY(h.set_mtime(dst, fi.mtime_ns));  // to the nanosecond, as Debian 12's useradd
  }
  return Status::ok();
}

}  // namespace

std::optional<std::string> account_batch_unsupported(const host::Host& h) {
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde)
    return "SOURCE_DATE_EPOCH is set (useradd dates the accounts by it)";
  if (auto t = h.read_file("/etc/nsswitch.conf", 1 << 20); t.is_ok()) {
    for (std::string_view line : split_lines(*t)) {
      line = trim(line);
      for (const char* db : {"passwd:", "group:", "shadow:", "gshadow:"}) {
        if (!starts_with(line, db)) continue;
        bool in_action = false;
        for (const auto& w : split(std::string(line.substr(std::string_view(db).size())), ' ')) {
          std::string word(trim(w));
          if (word.empty()) continue;
          if (word[0] == '[') in_action = true;
          if (!in_action && word != "files" && word != "systemd")
            return "nsswitch.conf names \"" + word + "\" for " + std::string(db).substr(0, std::string(db).size() - 1);
          if (word.back() == ']') in_action = false;
        }
      }
    }
  }
  ShadowDefs d = read_shadow_defs(h);
  if (d.use_tcb) return "login.defs sets USE_TCB";
  for (const auto& k : d.unknown_keys)
    if (k == "MAX_MEMBERS_PER_GROUP") return "login.defs sets " + k;
  for (const auto& l : d.default_lines) {
    std::string key = l.substr(0, l.find('='));
    std::string val = l.find('=') == std::string::npos ? "" : l.substr(l.find('=') + 1);
    bool harmless = (key == "INACTIVE" && (val == "-1" || val.empty())) || (key == "EXPIRE" && val.empty()) ||
                    (key == "CREATE_MAIL_SPOOL" && (val == "no" || val == "No" || val == "NO")) ||
                    (key == "USRSKEL" && val.empty()) || key == "LOG_INIT";
    if (!harmless) return "/etc/default/useradd sets " + key;
  }
  if (auto fi = h.lstat("/etc/shadow"); !fi.is_ok() || fi->type != host::FileType::kFile) return "no /etc/shadow";
  if (auto fi = h.lstat("/etc/passwd"); !fi.is_ok() || fi->type != host::FileType::kFile) return "no /etc/passwd";
  if (auto fi = h.lstat("/etc/group"); !fi.is_ok() || fi->type != host::FileType::kFile) return "no /etc/group";
  if (auto fi = h.lstat("/sys/fs/selinux/enforce"); fi.is_ok() && fi->exists()) return "SELinux is on";
  return std::nullopt;
}

struct AccountPass::Impl {
  host::Host& h;
  std::shared_ptr<void> lock;
  ShadowDefs defs;
  AccountText passwd{"/etc/passwd"}, shadow{"/etc/shadow"}, group{"/etc/group"}, gshadow{"/etc/gshadow"};
  SubIds subuid{{"/etc/subuid"}}, subgid{{"/etc/subgid"}};
  std::set<std::string> users, groups;
  std::set<uint32_t> uids, gids;
  std::map<std::string, gid_t> gid_of_name;
  std::vector<Staged> staged;

  explicit Impl(host::Host& host) : h(host) {}

  Status load() {
    ROUX_TRY(roll_back_killed_pass(h));
    defs = read_shadow_defs(h);
    for (AccountText* f : {&passwd, &shadow, &group, &gshadow, &subuid.file, &subgid.file}) ROUX_TRY(f->load(h));
    for (const auto& p : host::parse_passwd(passwd.original)) users.insert(p.name), uids.insert(p.uid);
    for (const auto& g : host::parse_group(group.original)) {
      groups.insert(g.name), gids.insert(g.gid);
      gid_of_name.emplace(g.name, g.gid);
    }
    subuid.index();
    subgid.index();
    return Status::ok();
  }

  std::optional<gid_t> find_group(const std::string& g) const {
    if (auto n = parse_account_id(g)) {
      if (gids.count(*n)) return *n;
      return std::nullopt;
    }
    auto it = gid_of_name.find(g);
    if (it == gid_of_name.end()) return std::nullopt;
    return it->second;
  }

  /// Adds `user` to the member list of group `g` in /etc/group and, when it has an entry there,
  /// in /etc/gshadow.
  void add_member(const std::string& g, const std::string& user) {
    for (auto& l : group.lines) {
      if (first_field(l) != g) continue;
      read_line<struct group>(l, fgetgrent, [&](struct group& e) {
        std::vector<char*> mem;
        for (char** m = e.gr_mem; m && *m; ++m) mem.push_back(*m);
        mem.push_back(const_cast<char*>(user.c_str()));
        mem.push_back(nullptr);
        e.gr_mem = mem.data();
        l = print_to_string([&](FILE* f) { putgrent(&e, f); });
        group.changed = true;
      });
      break;
    }
    for (auto& l : gshadow.lines) {
      if (first_field(l) != g) continue;
      read_line<struct sgrp>(l, fgetsgent, [&](struct sgrp& e) {
        std::vector<char*> mem;
        for (char** m = e.sg_mem; m && *m; ++m) mem.push_back(*m);
        mem.push_back(const_cast<char*>(user.c_str()));
        mem.push_back(nullptr);
        e.sg_mem = mem.data();
        l = print_to_string([&](FILE* f) { putsgent(&e, f); });
        gshadow.changed = true;
      });
      break;
    }
  }
};

AccountPass::AccountPass(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AccountPass::~AccountPass() = default;

Result<std::unique_ptr<AccountPass>> AccountPass::open(host::Host& host, int wait_ms) {
  auto impl = std::make_unique<Impl>(host);
  ROUX_ASSIGN_OR_RETURN(impl->lock, host.lock_account_files(wait_ms));
  ROUX_TRY(impl->load());
  return std::unique_ptr<AccountPass>(new AccountPass(std::move(impl)));
}

Status AccountPass::stage(const NewUser& u) {
  Impl& x = *impl_;
  const ShadowDefs& d = x.defs;
  if (x.users.count(u.name)) return Status::conflict("user \"" + u.name + "\" already exists");
  uid_t uid;
  if (u.uid) {
    if (x.uids.count(*u.uid)) {
      std::string who;
      for (const auto& p : host::parse_passwd(x.passwd.original))
        if (p.uid == *u.uid) who = p.name;
      for (const auto& s : x.staged)
        if (s.uid == *u.uid) who = s.u.name;
      return Status::conflict("uid: " + std::to_string(*u.uid) + " is already used by user \"" + who + "\"");
    }
    uid = *u.uid;
  } else {
    auto id = new_account_id(x.uids, u.system, d.uid_min, d.uid_max, d.sys_uid_min, d.sys_uid_max, std::nullopt);
    if (!id) return Status::conflict("can't get unique UID (no more available UIDs)");
    uid = *id;
  }
  std::optional<gid_t> gid;
  if (u.group) {
    gid = x.find_group(*u.group);
    if (!gid) return Status::not_found("group: no such group \"" + *u.group + "\"");
  }
  for (const auto& g : u.groups)
    if (!x.find_group(g)) return Status::not_found("groups: no such group \"" + g + "\"");
  bool own_group = !gid && d.usergroups;
  if (own_group) {
    if (x.groups.count(u.name))
      return Status::conflict("group \"" + u.name + "\" exists: name it as the user's group (group: " + u.name + ")");
    auto g = new_account_id(x.gids, u.system, d.gid_min, d.gid_max, d.sys_gid_min, d.sys_gid_max, uid);
    if (!g) return Status::conflict("can't get unique GID (no more available GIDs)");
    gid = *g;
  }
  if (!gid) gid = d.group;
  // Checked: now staged (nothing below fails but the subordinate ranges, checked first).
  SubIds su = x.subuid, sg = x.subgid;
  bool subids = !u.system && uid >= d.uid_min && uid <= d.uid_max;
  if (subids) {
    ROUX_TRY(su.add(u.name, d.sub_uid_min, d.sub_uid_max, d.sub_uid_count, "user"));
    ROUX_TRY(sg.add(u.name, d.sub_gid_min, d.sub_gid_max, d.sub_gid_count, "group"));
    x.subuid = std::move(su);
    x.subgid = std::move(sg);
  }
  Staged s{u, uid, *gid, u.home.value_or(d.home + "/" + u.name)};
  if (own_group) {
    struct group ge{};
    ge.gr_name = const_cast<char*>(u.name.c_str());
    ge.gr_passwd = const_cast<char*>("x");
    ge.gr_gid = *gid;
    char* none[] = {nullptr};
    ge.gr_mem = none;
    x.group.append(print_to_string([&](FILE* f) { putgrent(&ge, f); }));
    if (x.gshadow.exists()) {
      struct sgrp sge{};
      sge.sg_namp = const_cast<char*>(u.name.c_str());
      sge.sg_passwd = const_cast<char*>("!");
      sge.sg_adm = none;
      sge.sg_mem = none;
      x.gshadow.append(print_to_string([&](FILE* f) { putsgent(&sge, f); }));
    }
    x.groups.insert(u.name);
    x.gids.insert(*gid);
    x.gid_of_name.emplace(u.name, *gid);
  }
  for (const auto& g : u.groups) x.add_member(g, u.name);
  std::string comment = u.comment.value_or(""), shell = u.shell.value_or(d.shell);
  struct passwd pe{};
  pe.pw_name = const_cast<char*>(u.name.c_str());
  pe.pw_passwd = const_cast<char*>("x");
  pe.pw_uid = uid;
  pe.pw_gid = *gid;
  pe.pw_gecos = const_cast<char*>(comment.c_str());
  pe.pw_dir = const_cast<char*>(s.home.c_str());
  pe.pw_shell = const_cast<char*>(shell.c_str());
  x.passwd.append(print_to_string([&](FILE* f) { putpwent(&pe, f); }));
  x.users.insert(u.name);
  x.uids.insert(uid);
  x.staged.push_back(std::move(s));
  return Status::ok();
}

Status AccountPass::stage_password(const std::string& name, const std::string& hash) {
  for (auto& s : impl_->staged)
    if (s.u.name == name) {
      s.u.password = hash;
      return Status::ok();
    }
  return Status::not_found("user \"" + name + "\" is not staged");
}

Status AccountPass::commit() {
  Impl& x = *impl_;
  const ShadowDefs& d = x.defs;
  if (x.staged.empty()) return Status::ok();
  auto age = [](bool system, uint32_t v) { return system || v == 0xFFFFFFFFu ? -1L : static_cast<long>(v); };
  for (const auto& s : x.staged) {
    std::string pw = s.u.password.value_or("!");
    struct spwd se{};
    se.sp_namp = const_cast<char*>(s.u.name.c_str());
    se.sp_pwdp = const_cast<char*>(pw.c_str());
    se.sp_lstchg = today();
    se.sp_min = age(s.u.system, d.pass_min);
    se.sp_max = age(s.u.system, d.pass_max);
    se.sp_warn = age(s.u.system, d.pass_warn);
    se.sp_inact = -1;
    se.sp_expire = -1;
    se.sp_flag = ~0ul;
    x.shadow.append(print_to_string([&](FILE* f) { putspent(&se, f); }));
  }
  // The user's line in passwd comes last: a crash between two renames leaves at worst a group or
  // a shadow line without its user (pwck/grpck report it), never a user without them; and the
  // journal, in place first, lets the next pass put those files back (roll_back_killed_pass).
  const std::vector<const AccountText*> files = {&x.group, &x.gshadow, &x.subuid.file, &x.subgid.file, &x.shadow, &x.passwd};
  std::string journal;
  for (const AccountText* f : files)
    if (f->changed) journal += f->path + " " + sha256_hex(f->original) + " " + sha256_hex(f->text()) + "\n";
  ROUX_TRY(x.h.write_file(kJournal, journal, 0600, std::nullopt, std::nullopt));
  ROUX_TRY(x.h.sync_changed_dirs());
  for (const AccountText* f : files) ROUX_TRY(f->save(x.h));
  ROUX_TRY(x.h.sync_changed_dirs());
  ROUX_TRY(x.h.remove(kJournal));
  x.h.invalidate_accounts();
  x.lock.reset();
  // Name-service caches, as useradd flushes them (on the host's own root only; their failure is
  // not the pass's, as for useradd): nscd when its socket is there, sssd's cache when installed.
  if (x.h.root() == "/") {
    std::vector<std::vector<std::string>> flush;
    if (auto fi = x.h.lstat("/run/nscd/socket"); fi.is_ok() && fi->exists())
      flush.push_back({"nscd", "-i", "passwd"}), flush.push_back({"nscd", "-i", "group"});
    if (auto fi = x.h.lstat("/usr/sbin/sss_cache"); fi.is_ok() && fi->exists()) flush.push_back({"sss_cache", "-UG"});
    for (auto& argv : flush) {
      SubprocessOptions o;
      o.argv = std::move(argv);
      o.timeout = std::chrono::seconds(30);
      o.max_output = 4096;
      (void)x.h.run(o, [](host::Host&) { return Status::ok(); });
    }
  }
  // Home folders, as useradd -m: made only when missing (an existing one is left as it is, its
  // owner too), mode HOME_MODE or 0777 & ~UMASK, the skeleton copied in with the user as owner
  // (copy_skel: links and modification times as useradd makes them).
  uint32_t mode = d.home_mode.value_or(0777 & ~d.umask);
  for (const auto& s : x.staged) {
    if (!s.u.manage_home) continue;
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, x.h.lstat(s.home));
    if (fi.exists()) continue;
    ROUX_TRY(host::make_dirs(x.h, host::parent_path(s.home), 0755));
    ROUX_TRY(x.h.mkdir(s.home, mode));
    ROUX_TRY(x.h.chown(s.home, s.uid, s.gid));
    ROUX_TRY(x.h.chmod(s.home, mode));
    ROUX_TRY(copy_skel(x.h, d.skel, s.home, s.uid, s.gid, d.skel, s.home, 0));
  }
  return Status::ok();
}

}  // namespace roux::resources
