#include "host/planned_host.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "base/sha256.h"

namespace roux::host {

/// One path as the plan leaves it. kMissing = removed by the plan.
struct PlannedHost::Entry {
  FileInfo info;
  std::optional<std::string> content;  // kFile: the planned content, or unset = the real file's
  std::string content_from;            // kFile without `content`: the real path that holds it
  std::string target;                  // kSymlink
  bool fresh = false;                  // kDirectory made by the plan: no real entry shows below it
};

/// What a resolved path is, wherever that was learnt.
struct PlannedHost::Seen {
  FileInfo info;
  std::string target;           // for a symlink
  const Entry* entry = nullptr; // the overlay's, when it decided
};

namespace {

constexpr int kMaxLinks = 40;  // like the kernel's ELOOP limit

std::vector<std::string> split_components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join_child(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

Status errno_status(const std::string& what, const std::string& path, int err) { return Status::io(what + " " + path, err); }

}  // namespace

PlannedHost::PlannedHost(const Host& real) : real_(real) {}
PlannedHost::~PlannedHost() = default;

Result<std::string> PlannedHost::resolve(const std::string& path) const {
  if (path.empty() || path[0] != '/') return Status::invalid_input("not an absolute path: " + path);
  std::vector<std::string> rest = split_components(path);
  std::reverse(rest.begin(), rest.end());  // a stack: back() is the next component
  std::string cur = "/";
  int links = 0;
  while (!rest.empty()) {
    std::string c = std::move(rest.back());
    rest.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      cur = parent_path(cur);  // ".." at the root stays at the root, as RESOLVE_IN_ROOT does
      continue;
    }
    std::string next = join_child(cur, c);
    if (rest.empty()) return next;  // the last component is never followed
    ROUX_ASSIGN_OR_RETURN(Seen s, look(next));
    if (s.info.type == FileType::kSymlink) {
      if (++links > kMaxLinks) return errno_status("resolve", path, ELOOP);
      std::vector<std::string> t = split_components(s.target);
      for (auto it = t.rbegin(); it != t.rend(); ++it) rest.push_back(*it);
      if (!s.target.empty() && s.target[0] == '/') cur = "/";
      continue;
    }
    cur = next;
  }
  return cur;
}

Result<PlannedHost::Seen> PlannedHost::look(const std::string& canon) const {
  if (auto it = entries_.find(canon); it != entries_.end()) {
    Seen s{it->second.info, it->second.target, &it->second};
    return s;
  }
  // The nearest planned ancestor decides whether the real entry shows through.
  for (std::string a = canon; a != "/";) {
    a = parent_path(a);
    auto it = entries_.find(a);
    if (it == entries_.end()) continue;
    const Entry& e = it->second;
    if (e.info.type != FileType::kDirectory || e.fresh) return Seen{};  // removed, replaced or new
    break;
  }
  if (auto it = real_seen_.find(canon); it != real_seen_.end()) return it->second;
  ROUX_ASSIGN_OR_RETURN(FileInfo fi, real_.lstat(canon));
  Seen s{fi, {}, nullptr};
  if (fi.type == FileType::kSymlink) {
    ROUX_ASSIGN_OR_RETURN(s.target, real_.readlink(canon));
  }
  real_seen_[canon] = s;
  return s;
}

Result<FileInfo> PlannedHost::lstat(const std::string& path) const {
  if (entries_.empty()) return real_.lstat(path);
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  return s.info;
}

Result<std::string> PlannedHost::read_file(const std::string& path, size_t max_bytes) const {
  if (entries_.empty()) return real_.read_file(path, max_bytes);
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  if (!s.entry) return real_.read_file(canon, max_bytes);
  if (s.info.type == FileType::kMissing) return errno_status("open", path, ENOENT);
  if (s.info.type != FileType::kFile) return Status::io_msg("open " + path + ": not a regular file");
  if (!s.entry->content) return real_.read_file(s.entry->content_from, max_bytes);
  if (s.entry->content->size() > max_bytes)
    return Status::io_msg("read " + path + ": larger than " + std::to_string(max_bytes) + " bytes");
  return *s.entry->content;
}

Result<FileInfo> PlannedHost::lstat_compare(const std::string& path, const std::string* expected, bool* same) const {
  *same = false;
  if (entries_.empty()) return real_.lstat_compare(path, expected, same);
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  if (!s.entry) return real_.lstat_compare(canon, expected, same);
  if (s.info.type == FileType::kFile && expected && s.info.size == expected->size()) {
    ROUX_ASSIGN_OR_RETURN(std::string now, read_file(canon, expected->size()));
    *same = now == *expected;
  }
  return s.info;
}

Result<std::string> PlannedHost::file_sha256(const std::string& path) const {
  if (entries_.empty()) return real_.file_sha256(path);
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  if (!s.entry) return real_.file_sha256(canon);
  ROUX_ASSIGN_OR_RETURN(std::string data, read_file(canon, size_t{1} << 36));
  return sha256_hex(data);
}

Result<std::string> PlannedHost::readlink(const std::string& path) const {
  if (entries_.empty()) return real_.readlink(path);
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  if (s.info.type != FileType::kSymlink) return errno_status("readlink", path, s.info.exists() ? EINVAL : ENOENT);
  return s.target;
}

Result<std::vector<std::string>> PlannedHost::list_dir(const std::string& path) const {
  if (entries_.empty()) return real_.list_dir(path);
  // list_dir follows a final link like opendir does.
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  for (int links = 0; s.info.type == FileType::kSymlink; ++links) {
    if (links > kMaxLinks) return errno_status("opendir", path, ELOOP);
    std::string t = !s.target.empty() && s.target[0] == '/' ? s.target : join_child(parent_path(canon), s.target);
    ROUX_ASSIGN_OR_RETURN(canon, resolve(t));
    ROUX_ASSIGN_OR_RETURN(s, look(canon));
  }
  if (s.info.type == FileType::kMissing) return errno_status("opendir", path, ENOENT);
  if (s.info.type != FileType::kDirectory) return errno_status("opendir", path, ENOTDIR);
  std::set<std::string> names;
  if (!s.entry || !s.entry->fresh) {
    ROUX_ASSIGN_OR_RETURN(std::vector<std::string> real_names, real_.list_dir(canon));
    names.insert(real_names.begin(), real_names.end());
  }
  const std::string prefix = canon == "/" ? "/" : canon + "/";
  for (auto it = entries_.lower_bound(prefix); it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    std::string rest = it->first.substr(prefix.size());
    if (rest.empty() || rest.find('/') != std::string::npos) continue;
    if (it->second.info.exists()) names.insert(rest);
    else names.erase(rest);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::shared_ptr<const AccountDb>> PlannedHost::accounts() const {
  bool touched = false;
  for (const char* f : {"/etc/passwd", "/etc/group", "/etc/shadow"}) touched = touched || entries_.count(f);
  if (!touched) return real_.accounts();
  if (accounts_ && accounts_gen_ == gen_) return accounts_;
  ROUX_ASSIGN_OR_RETURN(auto real_db, real_.accounts());
  auto db = std::make_shared<AccountDb>();
  ROUX_ASSIGN_OR_RETURN(std::string passwd, read_file("/etc/passwd", 64 << 20));
  ROUX_ASSIGN_OR_RETURN(std::string group, read_file("/etc/group", 64 << 20));
  db->users = parse_passwd(passwd);
  db->groups = parse_group(group);
  db->problems = account_file_problems("/etc/passwd", passwd);
  for (auto& p : account_file_problems("/etc/group", group)) db->problems.push_back(std::move(p));
  db->shadow_readable = real_db->shadow_readable;
  if (db->shadow_readable) {
    ROUX_ASSIGN_OR_RETURN(std::string shadow, read_file("/etc/shadow", 64 << 20));
    db->shadow = parse_shadow(shadow);
    for (auto& p : account_file_problems("/etc/shadow", shadow)) db->problems.push_back(std::move(p));
  }
  accounts_ = db;
  accounts_gen_ = gen_;
  return accounts_;
}

Result<SubprocessResult> PlannedHost::run_check(SubprocessOptions opts) const {
  // A guard reads the real host; once the plan has changed something, what it sees may not be
  // what converge's guard will see at this point. Its answer is an assumption.
  if (!entries_.empty()) ++const_cast<PlannedHost*>(this)->predictions_;
  return real_.run_check(std::move(opts));
}

std::optional<bool> PlannedHost::service_running(const std::string& service) const {
  auto it = running_.find(service);
  if (it == running_.end()) return std::nullopt;
  return it->second;
}

void PlannedHost::set_service_running(const std::string& service, bool running) { running_[service] = running; }

std::optional<bool> PlannedHost::service_enabled(const std::string& service) const {
  auto it = enabled_.find(service);
  if (it == enabled_.end()) return std::nullopt;
  return it->second;
}

void PlannedHost::set_service_enabled(const std::string& service, bool enabled) { enabled_[service] = enabled; }

Status PlannedHost::require_parent_dir(const std::string& canon, const std::string& shown) const {
  if (canon == "/") return Status::ok();
  // The same words as the real host, which opens the folder first: "open /a: No such file ...".
  const std::string shown_dir = parent_path(shown);
  ROUX_ASSIGN_OR_RETURN(std::string parent, resolve(parent_path(canon) + "/."));
  ROUX_ASSIGN_OR_RETURN(Seen p, look(parent));
  // The parent may be a link to a folder: follow it as the kernel would.
  for (int links = 0; p.info.type == FileType::kSymlink; ++links) {
    if (links > kMaxLinks) return errno_status("open", shown_dir, ELOOP);
    std::string t = !p.target.empty() && p.target[0] == '/' ? p.target : join_child(parent_path(parent), p.target);
    ROUX_ASSIGN_OR_RETURN(parent, resolve(t + "/."));
    ROUX_ASSIGN_OR_RETURN(p, look(parent));
  }
  if (p.info.type == FileType::kMissing) {
    // Missing because a folder above it is a file: the kernel says ENOTDIR then.
    for (std::string a = parent_path(parent); a != "/"; a = parent_path(a)) {
      ROUX_ASSIGN_OR_RETURN(Seen up, look(a));
      if (up.info.type == FileType::kDirectory) break;
      if (up.info.exists()) return errno_status("open", shown_dir, ENOTDIR);
    }
    return errno_status("open", shown_dir, ENOENT);
  }
  if (p.info.type != FileType::kDirectory) return errno_status("open", shown_dir, ENOTDIR);
  return Status::ok();
}

Result<PlannedHost::Entry*> PlannedHost::materialize(const std::string& canon, const std::string& shown) {
  if (auto it = entries_.find(canon); it != entries_.end()) {
    if (!it->second.info.exists()) return errno_status("open", shown, ENOENT);
    return &it->second;
  }
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  if (!s.info.exists()) return errno_status("open", shown, ENOENT);
  Entry e;
  e.info = s.info;
  e.target = s.target;
  if (s.info.type == FileType::kFile) e.content_from = canon;
  return &(entries_[canon] = std::move(e));
}

Status PlannedHost::write_file(const std::string& path, std::string_view content, uint32_t mode,
                               std::optional<uid_t> uid, std::optional<gid_t> gid) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_TRY(require_parent_dir(canon, path));
  ROUX_ASSIGN_OR_RETURN(Seen old, look(canon));
  if (old.info.type == FileType::kDirectory) return errno_status("rename", path, EISDIR);
  Entry e;
  e.info.type = FileType::kFile;
  e.info.mode = mode & 07777;
  e.info.uid = uid.value_or(geteuid());
  e.info.gid = gid.value_or(getegid());
  e.info.size = content.size();
  // A written file is modified now, as on the real host (what compares file times, such as the
  // package lists' refresh, sees the same order in a plan).
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  e.info.mtime_ns = int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
  e.content = std::string(content);
  entries_[canon] = std::move(e);
  ++gen_;
  return Status::ok();
}

Status PlannedHost::mkdir(const std::string& path, uint32_t mode) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_TRY(require_parent_dir(canon, path));
  ROUX_ASSIGN_OR_RETURN(Seen old, look(canon));
  if (old.info.exists()) return errno_status("mkdir", path, EEXIST);
  Entry e;
  e.info.type = FileType::kDirectory;
  e.info.mode = mode & 07777;
  e.info.uid = geteuid();
  e.info.gid = getegid();
  e.fresh = true;
  entries_[canon] = std::move(e);
  ++gen_;
  return Status::ok();
}

Status PlannedHost::chmod(const std::string& path, uint32_t mode) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Entry * e, materialize(canon, path));
  if (e->info.type == FileType::kSymlink) return errno_status("open", path, ELOOP);
  e->info.mode = mode & 07777;
  ++gen_;
  return Status::ok();
}

Status PlannedHost::chown(const std::string& path, std::optional<uid_t> uid, std::optional<gid_t> gid) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Entry * e, materialize(canon, path));
  if (uid) e->info.uid = *uid;
  if (gid) e->info.gid = *gid;
  // Like chown(2), by root too (Linux >= 2.2.13): on a regular file it clears setuid, and setgid
  // when group-execute is set.
  if ((uid || gid) && e->info.type == FileType::kFile) {
    e->info.mode &= ~uint32_t{04000};
    if (e->info.mode & 0010) e->info.mode &= ~uint32_t{02000};
  }
  ++gen_;
  return Status::ok();
}

Status PlannedHost::remove(const std::string& path) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  if (!s.info.exists()) return Status::ok();
  if (s.info.type == FileType::kDirectory) {
    ROUX_ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(canon));
    if (!names.empty()) return errno_status("remove", path, ENOTEMPTY);
  }
  entries_[canon] = Entry{};
  ++gen_;
  return Status::ok();
}

Status PlannedHost::remove_tree(const std::string& path) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  if (canon.size() <= 1) return Status::invalid_input("refusing to remove " + path);  // "/" (resolved paths are absolute)
  const std::string prefix = canon + "/";
  for (auto it = entries_.lower_bound(prefix); it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0;)
    it = entries_.erase(it);
  entries_[canon] = Entry{};
  ++gen_;
  return Status::ok();
}

Status PlannedHost::symlink(const std::string& target, const std::string& path) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_TRY(require_parent_dir(canon, path));
  ROUX_ASSIGN_OR_RETURN(Seen old, look(canon));
  if (old.info.type == FileType::kDirectory) return errno_status("rename", path, EISDIR);
  Entry e;
  e.info.type = FileType::kSymlink;
  e.info.mode = 0777;
  e.info.uid = geteuid();
  e.info.gid = getegid();
  e.info.size = target.size();
  e.target = target;
  entries_[canon] = std::move(e);
  ++gen_;
  return Status::ok();
}

Status PlannedHost::append_file(const std::string& path, std::string_view data, uint32_t mode) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Seen s, look(canon));
  std::string content;
  if (s.info.type == FileType::kFile) {
    ROUX_ASSIGN_OR_RETURN(content, read_file(canon, size_t{1} << 36));
    mode = s.info.mode;
  }
  content.append(data);
  return write_file(canon, content, mode, s.info.exists() ? std::optional<uid_t>(s.info.uid) : std::nullopt,
                    s.info.exists() ? std::optional<gid_t>(s.info.gid) : std::nullopt);
}

Status PlannedHost::copy_file(const std::string& src, const std::string& dest, uint32_t mode) {
  ROUX_ASSIGN_OR_RETURN(std::string data, read_file(src, size_t{1} << 36));
  return write_file(dest, data, mode, std::nullopt, std::nullopt);
}

Status PlannedHost::set_mtime(const std::string& path, int64_t mtime_ns) {
  ROUX_ASSIGN_OR_RETURN(std::string canon, resolve(path));
  ROUX_ASSIGN_OR_RETURN(Entry * e, materialize(canon, path));
  e->info.mtime_ns = mtime_ns;
  ++gen_;
  return Status::ok();
}

Result<SubprocessResult> PlannedHost::run(SubprocessOptions /*opts: never run in a plan*/, const Model& model) {
  ++predictions_;
  if (model) ROUX_TRY(model(*this));
  SubprocessResult r;
  r.exit_code = 0;
  return r;
}

Status PlannedHost::write_in_place(const std::string& path, std::string_view data) {
  // As open(O_WRONLY|O_TRUNC|O_NOFOLLOW) would: the file must be there, and be a file.
  ROUX_ASSIGN_OR_RETURN(FileInfo fi, lstat(path));
  if (!fi.exists()) return errno_status("open", path, ENOENT);
  if (fi.type == FileType::kSymlink) return errno_status("open", path, ELOOP);
  if (fi.type == FileType::kDirectory) return errno_status("open", path, EISDIR);
  return write_file(path, data, fi.mode, fi.uid, fi.gid);
}

std::vector<std::string> PlannedHost::changed_paths() const {
  std::vector<std::string> out;
  for (const auto& [path, e] : entries_) out.push_back(path);
  return out;
}

}  // namespace roux::host
