// The real host. Every path is resolved with openat2(RESOLVE_IN_ROOT) against a descriptor of
// root, so a --root tree behaves like a chroot (absolute symlinks inside it stay inside it) and the
// final component of a path is never followed (O_NOFOLLOW / AT_SYMLINK_NOFOLLOW).
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>

#include "base/log.h"
#include "base/read_fd.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "host/host.h"

namespace roux::host {
namespace {

/// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

FileType type_of(mode_t m) {
  if (S_ISREG(m)) return FileType::kFile;
  if (S_ISDIR(m)) return FileType::kDirectory;
  if (S_ISLNK(m)) return FileType::kSymlink;
  return FileType::kOther;
}

FileInfo info_of(const struct stat& st) {
  FileInfo fi;
  fi.type = type_of(st.st_mode);
  fi.mode = st.st_mode & 07777;
  fi.uid = st.st_uid;
  fi.gid = st.st_gid;
  fi.size = static_cast<uint64_t>(st.st_size);
  fi.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return fi;
}

Status write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::io("write " + what, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

/// Host::set_write_tag of the calling thread (a worker converges one resource at a time).
thread_local uint64_t t_write_tag = 0;

class PosixHost final : public Host {
 public:
  PosixHost(std::string root, Fd root_fd) : root_(std::move(root)), root_fd_(std::move(root_fd)) {}
  PosixHost(const PosixHost&) = delete;
  PosixHost& operator=(const PosixHost&) = delete;
  // A run that ends without calling sync_changed_dirs() still leaves its changes durable.
  ~PosixHost() override { (void)sync_changed_dirs(); }

  const std::string& root() const override { return root_; }

  Result<FileInfo> lstat(const std::string& path) const override {
    settle(path);
    // On "/" one fstatat from the root answers exactly (no symbolic link in a parent can lead out
    // of "/", as lstat_compare's fast path); a missing entry or parent is "absent" as below. Any
    // other error takes the careful path, which names it as before.
    if (root_ == "/" && !path.empty() && path[0] == '/') {
      struct stat st;
      const char* rel = path == "/" ? "." : path.c_str() + 1;
      if (fstatat(root_fd_.get(), rel, &st, AT_SYMLINK_NOFOLLOW) == 0) return info_of(st);
      if (errno == ENOENT || errno == ENOTDIR) return FileInfo{};
    }
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, /*missing_ok=*/true));
    if (!d.valid()) return FileInfo{};
    if (base.empty()) return stat_fd(d.get(), path);
    struct stat st;
    if (fstatat(d.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return FileInfo{};
      return Status::io("lstat " + path, errno);
    }
    return info_of(st);
  }

  Result<FileInfo> lstat_compare(const std::string& path, const std::string* expected, bool* same) const override {
    *same = false;
    settle(path);
    // No last name (split's ""), or relative (refused by open_dir): the careful path of lstat.
    if (path.empty() || path.back() == '/' || path[0] != '/') return lstat(path);
    // Look before opening: only a regular file is ever opened. A FIFO, socket or device node is
    // described from its lstat and never opened (no blocking, no device driver's open).
    // Fast path, the no-op run's common case: an fstatat from root, then for a regular file of
    // the expected size one openat2 of the whole path inside root (the last component never
    // followed) and the content compared as it is read (one read for a small file). On "/" the
    // fstatat is exact (no symlink in a parent can lead out of "/"), so it alone answers for
    // anything but a size match, and for a size match it describes the entry (no fstat of the
    // opened file: the floor's lstat + open + read + close); the read then asks one byte more
    // than expected, so a file swapped in meanwhile with another size or content is told apart.
    // Under --root a parent symlink may point out of the tree, so the fstatat only filters, and
    // the openat2 (RESOLVE_IN_ROOT) and the fstat of what it opened are what count.
    const bool exact = root_ == "/";
    struct stat pre;
    if (fstatat(root_fd_.get(), path.c_str() + 1, &pre, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISREG(pre.st_mode)) {
        if (exact && (!expected || static_cast<uint64_t>(pre.st_size) != expected->size())) return info_of(pre);
        open_how how{};
        how.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        long fd = syscall(SYS_openat2, root_fd_.get(), path.c_str() + 1, &how, sizeof how);
        if (fd >= 0) {
          Fd f(static_cast<int>(fd));
          if (exact) return compare_open(f.get(), info_of(pre), path, expected, same, /*size_known=*/false);
          struct stat st;
          if (fstat(f.get(), &st) != 0) return Status::io("stat " + path, errno);
          return compare_open(f.get(), info_of(st), path, expected, same);  // reads regular files only
        }
        if (errno == ENOENT || errno == ENOTDIR) return FileInfo{};
      } else if (exact) {
        return info_of(pre);
      }
    } else if (exact && (errno == ENOENT || errno == ENOTDIR)) {
      return FileInfo{};
    }
    // The careful path: the folder inside root, then the entry by name.
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, /*missing_ok=*/true));
    if (!d.valid()) return FileInfo{};
    struct stat st;
    if (fstatat(d.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return FileInfo{};
      return Status::io("lstat " + path, errno);
    }
    if (!S_ISREG(st.st_mode) || !expected || static_cast<uint64_t>(st.st_size) != expected->size()) return info_of(st);
    Fd f(openat(d.get(), base.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!f.valid() || fstat(f.get(), &st) != 0) return info_of(st);
    return compare_open(f.get(), info_of(st), path, expected, same);
  }

  Result<std::string> read_file(const std::string& path, size_t max_bytes) const override {
    ROUX_ASSIGN_OR_RETURN(Fd f, open_regular(path));
    std::string out;
    const int e = read_fd_to_end(f.get(), max_bytes, &out);
    if (e == EFBIG) return Status::io_msg("read " + path + ": larger than " + std::to_string(max_bytes) + " bytes");
    if (e != 0) return Status::io("read " + path, e);
    return out;
  }

  Result<std::string> file_sha256(const std::string& path) const override {
    ROUX_ASSIGN_OR_RETURN(Fd f, open_regular(path));
    return hash_fd(f.get(), path);
  }

  /// The entry behind fd (described by fi) against `expected`: *same when it is a regular file of
  /// that size and content. A regular file's read returns all it is asked for up to EOF, so a
  /// small file costs one read; a difference stops the reading. `size_known`: fi is the fstat of
  /// fd itself; else (fi from an lstat of the path before the open) the reads ask one byte past
  /// the expected end, and only a short read there (EOF) with every byte equal counts as same.
  static Result<FileInfo> compare_open(int fd, const FileInfo& fi, const std::string& path, const std::string* expected,
                                       bool* same, bool size_known = true) {
    if (!expected || fi.type != FileType::kFile || fi.size != expected->size()) return fi;
    const size_t size = expected->size();
    char buf[65536];
    size_t got = 0;
    while (size_known ? got < size : true) {
      const size_t want = std::min(sizeof buf, size - got + (size_known ? 0 : 1));
      ssize_t n = ::read(fd, buf, want);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::io("read " + path, errno);
      }
      if (n == 0) break;
      if (got + static_cast<size_t>(n) > size || std::memcmp(buf, expected->data() + got, static_cast<size_t>(n)) != 0)
        return fi;
      got += static_cast<size_t>(n);
      if (!size_known && got == size && static_cast<size_t>(n) < want) break;  // short at the end: EOF
    }
    if (got != size) return fi;
    *same = true;
    return fi;
  }

  static Result<std::string> hash_fd(int fd, const std::string& path) {
    Sha256 h;
    char buf[65536];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::io("read " + path, errno);
      }
      if (n == 0) break;
      h.update(std::string_view(buf, static_cast<size_t>(n)));
    }
    return h.hex_digest();
  }

  Result<std::string> readlink(const std::string& path) const override {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    char buf[4096];
    ssize_t n = readlinkat(d.get(), base.c_str(), buf, sizeof buf);
    if (n < 0) return Status::io("readlink " + path, errno);
    return std::string(buf, static_cast<size_t>(n));
  }

  Result<std::vector<std::string>> list_dir(const std::string& path) const override {
    settle(path, /*as_dir=*/true);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(path, false));
    int fd = dup(d.get());
    if (fd < 0) return Status::io("dup", errno);
    DIR* dp = fdopendir(fd);
    if (!dp) {
      close(fd);
      return Status::io("opendir " + path, errno);
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(dp)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    closedir(dp);
    std::sort(names.begin(), names.end());
    return names;
  }

  Result<std::shared_ptr<const AccountDb>> accounts() const override {
    std::lock_guard lock(accounts_mu_);
    if (accounts_) return accounts_;
    flush_pending();  // the account files as written so far
    auto db = std::make_shared<AccountDb>();
    auto problems = [&](std::string_view file, std::string_view text) {
      for (auto& p : account_file_problems(file, text)) db->problems.push_back(std::move(p));
    };
    if (auto passwd = read_file("/etc/passwd", 64 << 20); passwd.is_ok()) {
      db->users = parse_passwd(*passwd);
      problems("/etc/passwd", *passwd);
    }
    if (auto group = read_file("/etc/group", 64 << 20); group.is_ok()) {
      db->groups = parse_group(*group);
      problems("/etc/group", *group);
    }
    if (auto shadow = read_file("/etc/shadow", 64 << 20); shadow.is_ok()) {
      db->shadow = parse_shadow(*shadow);
      db->shadow_readable = true;
      problems("/etc/shadow", *shadow);
    }
    // Each once a run (the files are read again after each write).
    for (const auto& p : db->problems)
      if (warned_.insert(p.to_string()).second) log::warn(p.to_string());
    accounts_ = db;
    return accounts_;
  }

  mutable std::set<std::string> warned_;  // account file problems told (under accounts_mu_)

  void invalidate_accounts() override {
    std::lock_guard lock(accounts_mu_);
    accounts_.reset();
  }

  Result<std::shared_ptr<void>> lock_account_files(int wait_ms) override {
    // lckpwdf(3)'s lock, in the managed root: a classic POSIX write lock on the whole of
    // /etc/.pwd.lock (glibc opens it O_WRONLY|O_CREAT 0600 and waits with F_SETLKW for 15 s).
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir("/etc", false));
    auto f = std::make_shared<Fd>(openat(d.get(), ".pwd.lock", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!f->valid()) return Status::io("open /etc/.pwd.lock", errno);
    for (int waited = 0;; waited += 20) {
      struct flock fl{};
      fl.l_type = F_WRLCK;
      fl.l_whence = SEEK_SET;
      if (fcntl(f->get(), F_SETLK, &fl) == 0) return std::shared_ptr<void>(f);
      if (errno != EACCES && errno != EAGAIN && errno != EINTR) return Status::io("lock /etc/.pwd.lock", errno);
      if (waited >= wait_ms) {
        struct flock who{};
        who.l_type = F_WRLCK;
        who.l_whence = SEEK_SET;
        std::string holder;
        if (fcntl(f->get(), F_GETLK, &who) == 0 && who.l_type != F_UNLCK) holder = " (pid " + std::to_string(who.l_pid) + ")";
        return Status::timeout("the account files are locked: another process" + holder +
                               " holds /etc/.pwd.lock (lckpwdf) since more than " + std::to_string(wait_ms / 1000) +
                               " s; try again when it has finished");
      }
      usleep(20 * 1000);
    }
  }

  Result<SubprocessResult> run_check(SubprocessOptions opts) const override {
    flush_pending();  // a guard command sees every file written so far in place
    opts.env["ROUX_ROOT"] = root_;
    return run_subprocess(opts);
  }

  using Host::run;
  Result<SubprocessResult> run(SubprocessOptions opts, const Model& /*model: the command itself runs*/) override {
    // A command may act on what was written before it (restart a service that then serves the
    // new file, tell another machine): those changes are durable first. A write of the change
    // running this command that did not land fails the command; another change's failed write
    // stays recorded for its own resource (take_failed_writes), never blamed on this one.
    flush_pending();
    ROUX_TRY(sync_dirs());
    {
      std::lock_guard lock(pending_mu_);
      auto own = std::find_if(failed_.begin(), failed_.end(), [](const FailedWrite& f) { return f.tag == t_write_tag; });
      if (own != failed_.end()) {
        Status s = std::move(own->error);
        failed_.erase(own);
        return s;
      }
    }
    opts.env["ROUX_ROOT"] = root_;
    return run_subprocess(opts);
  }

  Status write_file(const std::string& path, std::string_view content, uint32_t mode,
                    std::optional<uid_t> uid, std::optional<gid_t> gid) override {
    return write_temp(path, nullptr, content, mode, uid, gid);
  }

  Status write_file_pieces(const std::string& path, const Pieces& pieces, uint32_t mode,
                           std::optional<uid_t> uid, std::optional<gid_t> gid) override {
    return write_temp(path, &pieces, {}, mode, uid, gid);
  }

 private:
  /// write_file's temp file filled with `content`, or with `pieces` when given (written through a
  /// 64 KiB buffer as they come), then put in place as write_file says.
  Status write_temp(const std::string& path, const Pieces* pieces, std::string_view content, uint32_t mode,
                    std::optional<uid_t> uid, std::optional<gid_t> gid) {
    auto [dir, base] = split(path);
    if (base.empty()) return Status::invalid_input("cannot write to " + path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    struct stat dst;
    if (fstat(d.get(), &dst) != 0) return Status::io("stat " + dir, errno);
    {  // a second write to a name still pending: the first one goes in place first
      std::lock_guard lock(pending_mu_);
      if (pending_names_.count({dst.st_dev, dst.st_ino, base})) flush_pending();
    }
    // A fixed temp name: a leftover from a killed run is removed and reused, so crashes never
    // accumulate junk. O_EXCL|O_NOFOLLOW means we never write through a planted link; only when
    // the name is taken (EEXIST: a leftover, or anything planted there) is it unlinked (a link
    // itself, never its target) and the create tried once more, so a first write costs no unlink.
    std::string tmp = temp_name_of(base);
    const int create_flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    Fd f(openat(d.get(), tmp.c_str(), create_flags, 0600));
    if (!f.valid() && errno == EEXIST) {
      if (unlinkat(d.get(), tmp.c_str(), 0) != 0 && errno != ENOENT)
        return Status::io("remove stale " + join_path(dir, tmp), errno);
      f = Fd(openat(d.get(), tmp.c_str(), create_flags, 0600));
    }
    if (!f.valid()) return Status::io("create " + join_path(dir, tmp), errno);
    auto fail = [&](Status s) {
      unlinkat(d.get(), tmp.c_str(), 0);
      return s;
    };
    if (pieces) {
      std::string buf;
      buf.reserve(65536);
      Status s = (*pieces)([&](std::string_view piece) {
        if (buf.size() + piece.size() > 65536) {
          ROUX_TRY(write_all(f.get(), buf, path));
          buf.clear();
        }
        if (piece.size() >= 65536) return write_all(f.get(), piece, path);
        buf.append(piece);
        return Status::ok();
      });
      if (s.is_ok()) s = write_all(f.get(), buf, path);
      if (!s) return fail(s);
    } else if (Status s = write_all(f.get(), content, path); !s) {
      return fail(s);
    }
    if ((uid || gid) && fchown(f.get(), uid ? *uid : static_cast<uid_t>(-1), gid ? *gid : static_cast<gid_t>(-1)) != 0)
      return fail(Status::io("chown " + path, errno));
    if (fchmod(f.get(), mode & 07777) != 0) return fail(Status::io("chmod " + path, errno));
    // Durable in one pass with the others (flush_pending): the data is synced and the temp file
    // renamed when the batch is flushed, before anything can look at this name.
    std::lock_guard lock(pending_mu_);
    pending_names_.insert({dst.st_dev, dst.st_ino, base});
    pending_dirs_.insert({dst.st_dev, dst.st_ino});
    pending_.push_back(PendingWrite{std::move(f), std::move(d), dst.st_dev, dir, std::move(tmp), std::move(base), t_write_tag});
    pending_count_.store(pending_.size(), std::memory_order_release);
    if (pending_.size() >= kMaxPending) flush_pending();
    return Status::ok();
  }

 public:
  Status mkdir(const std::string& path, uint32_t mode) override {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    if (mkdirat(d.get(), base.c_str(), mode & 07777) != 0) return Status::io("mkdir " + path, errno);
    // mkdir honours the umask; set the exact mode.
    Fd n(openat(d.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!n.valid() || fchmod(n.get(), mode & 07777) != 0) return Status::io("chmod " + path, errno);
    return changed_dir(std::move(d), dir);
  }

  Status chmod(const std::string& path, uint32_t mode) override {
    settle(path);
    ROUX_ASSIGN_OR_RETURN(Fd f, open_entry(path));
    struct stat st;
    if (fstat(f.get(), &st) != 0) return Status::io("stat " + path, errno);
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      f.reset();
      return replace_linked(path, mode, st.st_uid, st.st_gid);
    }
    if (fchmod(f.get(), mode & 07777) != 0) return Status::io("chmod " + path, errno);
    return Status::ok();
  }

  Status chown(const std::string& path, std::optional<uid_t> uid, std::optional<gid_t> gid) override {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    struct stat st;
    if (fstatat(d.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1)
      return replace_linked(path, st.st_mode & 07777, uid ? *uid : st.st_uid, gid ? *gid : st.st_gid);
    // AT_SYMLINK_NOFOLLOW: a link's own owner changes, never its target's.
    if (fchownat(d.get(), base.c_str(), uid ? *uid : static_cast<uid_t>(-1), gid ? *gid : static_cast<gid_t>(-1),
                 AT_SYMLINK_NOFOLLOW) != 0)
      return Status::io("chown " + path, errno);
    return Status::ok();
  }

  Status remove(const std::string& path) override {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    struct stat st;
    if (fstatat(d.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return Status::ok();
      return Status::io("lstat " + path, errno);
    }
    if (unlinkat(d.get(), base.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0)
      return Status::io("remove " + path, errno);
    return changed_dir(std::move(d), dir);
  }

  Status remove_tree(const std::string& path) override {
    flush_pending();  // a pending file may lie anywhere below
    auto [dir, base] = split(path);
    if (base.empty()) return Status::invalid_input("refusing to remove " + path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    ROUX_TRY(remove_tree_at(d.get(), base, path));
    return changed_dir(std::move(d), dir);
  }

  Status symlink(const std::string& target, const std::string& path) override {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    std::string tmp = temp_name_of(base);
    if (unlinkat(d.get(), tmp.c_str(), 0) != 0 && errno != ENOENT)
      return Status::io("remove stale " + join_path(dir, tmp), errno);
    if (symlinkat(target.c_str(), d.get(), tmp.c_str()) != 0) return Status::io("symlink " + path, errno);
    if (renameat(d.get(), tmp.c_str(), d.get(), base.c_str()) != 0) {
      int e = errno;
      unlinkat(d.get(), tmp.c_str(), 0);
      return Status::io("rename " + path, e);
    }
    return changed_dir(std::move(d), dir);
  }

  Status sync_changed_dirs() override {
    flush_pending();
    Status first = sync_dirs();
    std::lock_guard lock(pending_mu_);
    if (!failed_.empty()) first = std::move(failed_.front().error);
    failed_.clear();
    return first;
  }

  void set_write_tag(uint64_t tag) override { t_write_tag = tag; }

  std::vector<FailedWrite> take_failed_writes() override {
    flush_pending();
    std::lock_guard lock(pending_mu_);
    std::vector<FailedWrite> out;
    for (auto it = failed_.begin(); it != failed_.end();) {
      if (it->tag == 0) {
        ++it;
        continue;
      }
      out.push_back(std::move(*it));
      it = failed_.erase(it);
    }
    return out;
  }

  Status append_file(const std::string& path, std::string_view data, uint32_t mode) override {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    Fd f(openat(d.get(), base.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode & 07777));
    if (!f.valid()) return Status::io("open " + path, errno);
    ROUX_TRY(write_all(f.get(), data, path));
    // The pending files' writeback starts first, so this fsync's journal commit also holds their
    // blocks, and their own fsync before the rename then has little left to do (a no-op run
    // appends its history line between writing last_run.json and putting it in place).
    start_pending_writeback();
    if (fsync(f.get()) != 0) return Status::io("fsync " + path, errno);
    return Status::ok();
  }

  Status write_in_place(const std::string& path, std::string_view data) override {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    Fd f(openat(d.get(), base.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC));
    if (!f.valid()) return Status::io("open " + path, errno);
    return write_all(f.get(), data, path);
  }

  Status set_mtime(const std::string& path, int64_t mtime_ns) override {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    struct stat st;
    if (fstatat(d.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Status::io("lstat " + path, errno);
    if (S_ISDIR(st.st_mode)) settle(path, /*as_dir=*/true);  // a rename into it would move its time
    // Floored, so a time before 1970 keeps a nanosecond part in [0, 1e9) as utimensat wants.
    int64_t sec = mtime_ns / 1000000000, nsec = mtime_ns % 1000000000;
    if (nsec < 0) --sec, nsec += 1000000000;
    timespec ts[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(sec), static_cast<long>(nsec)}};
    if (utimensat(d.get(), base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return Status::io("set mtime " + path, errno);
    return Status::ok();
  }

  Status copy_file(const std::string& src, const std::string& dest, uint32_t mode) override {
    ROUX_ASSIGN_OR_RETURN(std::string data, read_file(src, size_t{1} << 32));
    return write_file(dest, data, mode, std::nullopt, std::nullopt);
  }

 private:
  /// A regular file with other hard links shares its inode (and so its mode and owner) with names
  /// that may be anywhere on the filesystem, outside root too (a --root tree's /etc/shadow linked
  /// to the host's). Its mode or owner is never changed in place: the content is written to a new
  /// inode with the wanted mode and owner, renamed over this name; the other names keep theirs.
  Status replace_linked(const std::string& path, uint32_t mode, uid_t uid, gid_t gid) {
    ROUX_ASSIGN_OR_RETURN(std::string data, read_file(path, size_t{1} << 32));
    return write_file(path, data, mode, uid, gid)
        .with_context(path + " has other hard links; replaced by a new file instead of changed in place");
  }

  static std::string join_path(const std::string& dir, const std::string& base) {
    return dir == "/" ? "/" + base : dir + "/" + base;
  }

  std::string real_path(const std::string& path) const override {
    if (path.empty() || path[0] != '/' || path == "/") return path;
    // The longest parent that opens (links followed inside root), then what /proc says it is.
    std::string dir = parent_path(path), rest = path.substr(path.rfind('/'));
    for (;;) {
      auto d = open_dir(dir, /*missing_ok=*/true);
      if (!d.is_ok()) return path;  // unreadable: as written
      if (d->valid()) {
        std::string real = fd_path(d->get());
        const std::string& top = root_real();
        if (real.empty() || top.empty()) return path;
        if (real == top) return rest;
        if (real.compare(0, top.size(), top) != 0 || (top != "/" && real[top.size()] != '/')) return path;
        return (top == "/" ? real : real.substr(top.size())) + rest;
      }
      if (dir == "/") return path;
      rest = dir.substr(dir.rfind('/')) + rest;
      dir = parent_path(dir);
    }
  }

  /// "/a/b/c" -> {"/a/b", "c"}; "/" -> {"/", ""}.
  static std::pair<std::string, std::string> split(const std::string& path) {
    if (path == "/" || path.empty()) return {"/", ""};
    size_t pos = path.rfind('/');
    std::string dir = pos == 0 ? "/" : path.substr(0, pos);
    return {dir, path.substr(pos + 1)};
  }

  /// The absolute path of an open descriptor on the machine ("" when /proc cannot tell).
  static std::string fd_path(int fd) {
    char buf[PATH_MAX];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof buf || buf[0] != '/') return "";
    return std::string(buf, static_cast<size_t>(n));
  }
  /// root's own real path, read once.
  const std::string& root_real() const {
    std::call_once(root_real_once_, [this] { root_real_ = fd_path(root_fd_.get()); });
    return root_real_;
  }

  /// Opens a directory inside root. With missing_ok, a missing dir yields an invalid Fd.
  Result<Fd> open_dir(const std::string& dir, bool missing_ok) const {
    // Every path of the door is absolute: a relative one lost its first character below ("xroot"
    // opened /root), so it is refused, whatever passed it on.
    if (dir.empty() || dir[0] != '/') return Status::invalid_input("path must be absolute: \"" + one_line(dir, 200) + "\"");
    open_how how{};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string rel = dir == "/" ? "." : dir.substr(1);
    long fd = syscall(SYS_openat2, root_fd_.get(), rel.c_str(), &how, sizeof how);
    if (fd < 0) {
      if (missing_ok && (errno == ENOENT || errno == ENOTDIR)) return Fd();
      return Status::io("open " + dir, errno);
    }
    return Fd(static_cast<int>(fd));
  }

  Result<FileInfo> stat_fd(int fd, const std::string& path) const {
    struct stat st;
    if (fstat(fd, &st) != 0) return Status::io("stat " + path, errno);
    return info_of(st);
  }

  /// A regular file opened for reading. Looks first: anything else (FIFO, device, socket,
  /// folder, link) is refused without being opened.
  Result<Fd> open_regular(const std::string& path) const {
    settle(path);
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    struct stat pre;
    if (fstatat(d.get(), base.c_str(), &pre, AT_SYMLINK_NOFOLLOW) != 0) return Status::io("open " + path, errno);
    if (!S_ISREG(pre.st_mode)) return Status::io_msg("open " + path + ": not a regular file");
    Fd f(openat(d.get(), base.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!f.valid()) return Status::io("open " + path, errno);
    struct stat st;
    if (fstat(f.get(), &st) != 0) return Status::io("stat " + path, errno);
    if (!S_ISREG(st.st_mode)) return Status::io_msg("open " + path + ": not a regular file");
    return f;
  }

  /// Opens a file or directory (not a symlink) for fchmod.
  Result<Fd> open_entry(const std::string& path) const {
    auto [dir, base] = split(path);
    ROUX_ASSIGN_OR_RETURN(Fd d, open_dir(dir, false));
    if (base.empty()) return d;
    Fd f(openat(d.get(), base.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!f.valid()) return Status::io("open " + path, errno);
    return f;
  }

  Status remove_tree_at(int dirfd, const std::string& name, const std::string& shown) {
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return Status::ok();
      return Status::io("lstat " + shown, errno);
    }
    if (S_ISDIR(st.st_mode)) {
      Fd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) return Status::io("open " + shown, errno);
      int fd2 = dup(sub.get());
      DIR* dp = fd2 >= 0 ? fdopendir(fd2) : nullptr;
      if (!dp) return Status::io("opendir " + shown, errno);
      std::vector<std::string> names;
      while (dirent* e = readdir(dp)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      closedir(dp);
      for (const auto& n : names) ROUX_TRY(remove_tree_at(sub.get(), n, shown + "/" + n));
      if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0) return Status::io("remove " + shown, errno);
      return Status::ok();
    }
    if (unlinkat(dirfd, name.c_str(), 0) != 0) return Status::io("remove " + shown, errno);
    return Status::ok();
  }

  /// Records that the folder open as `d` (shown as `path`) changed: sync_changed_dirs() fsyncs
  /// it, once however many entries changed in it. Keyed by the folder's inode, so the folder
  /// changed is the one synced even if a name of it moves meanwhile; the descriptor is kept open
  /// until then. At most kMaxDirtyDirs are kept: one more syncs them all first.
  Status changed_dir(Fd d, const std::string& path) const {
    struct stat st;
    if (fstat(d.get(), &st) != 0) return Status::io("stat " + path, errno);
    {
      std::lock_guard lock(dirty_mu_);
      std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
      if (dirty_.count(id)) return Status::ok();
      if (dirty_.size() < kMaxDirtyDirs) {
        dirty_.emplace(id, DirtyDir{std::move(d), path});
        return Status::ok();
      }
    }
    ROUX_TRY(sync_dirs());
    std::lock_guard lock(dirty_mu_);
    dirty_.emplace(std::pair<dev_t, ino_t>{st.st_dev, st.st_ino}, DirtyDir{std::move(d), path});
    return Status::ok();
  }

  /// fsyncs each folder recorded by changed_dir, once.
  Status sync_dirs() const {
    std::lock_guard lock(dirty_mu_);
    Status first = Status::ok();
    for (auto& [id, dir] : dirty_) {
      if (fsync(dir.fd.get()) != 0 && first.is_ok()) first = Status::io("fsync " + dir.path, errno);
    }
    dirty_.clear();
    return first;
  }

  /// Before `path` is looked at or changed: when a written file is still pending under that name
  /// (its folder by inode, so any spelling of the path counts), or, with as_dir, anywhere in the
  /// folder `path`, the pending files go in place first. Free when nothing is pending (a no-op run).
  void settle(const std::string& path, bool as_dir = false) const {
    if (pending_count_.load(std::memory_order_acquire) == 0) return;
    auto [dir, base] = split(path);
    const bool whole_dir = as_dir || base.empty();
    auto d = open_dir(whole_dir ? path : dir, /*missing_ok=*/true);
    struct stat st;
    if (!d.is_ok() || !d->valid() || fstat(d->get(), &st) != 0) {
      if (d.is_ok() && !d->valid()) return;  // a missing folder holds nothing pending
      flush_pending();                       // cannot tell: in place first
      return;
    }
    std::lock_guard lock(pending_mu_);
    if (whole_dir ? pending_dirs_.count({st.st_dev, st.st_ino}) > 0
                  : pending_names_.count({st.st_dev, st.st_ino, base}) > 0)
      flush_pending();
  }

  /// Starts the writeback of every pending write_file's data (not a sync: flush_pending still
  /// makes each durable before its rename). Free when nothing is pending.
  void start_pending_writeback() const {
    if (pending_count_.load(std::memory_order_acquire) == 0) return;
    std::lock_guard lock(pending_mu_);
    for (const auto& p : pending_) (void)sync_file_range(p.file.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
  }

  /// Puts every pending write_file in place, in one pass: the temp files' data made durable
  /// (one syncfs per filesystem), then each renamed
  /// over its name, then its folder recorded for sync_dirs. A crash before the
  /// rename leaves the old entry (or none) and a temp file the next write of that name removes;
  /// never a new name with data that is not durable. Each failure is kept with its write's tag
  /// for take_failed_writes / sync_changed_dirs (that file keeps its old content); the others
  /// still go in place.
  void flush_pending() const {
    std::lock_guard lock(pending_mu_);
    if (pending_.empty()) return;
    std::vector<PendingWrite> batch;
    batch.swap(pending_);
    auto keep = [&](const PendingWrite& p, Status s) { failed_.push_back(FailedWrite{p.tag, std::move(s)}); };
    // One syncfs per filesystem makes a large batch durable with one journal commit; a few files
    // (a no-op run's state file) are fsynced each, as where syncfs fails: a syncfs also waits for
    // every other process's writes to that filesystem, and an fsync names the file that fails.
    std::map<dev_t, size_t> per_fs;
    for (const auto& p : batch) ++per_fs[p.dev];
    std::map<dev_t, bool> fs_synced;
    for (const auto& p : batch)
      if (!fs_synced.count(p.dev)) fs_synced[p.dev] = per_fs[p.dev] >= kSyncfsFrom && syncfs(p.file.get()) == 0;
    // Files fsynced one by one: every one's writeback is started first, so the first fsync's
    // journal commit holds all their blocks (with delayed allocation each fsync would otherwise
    // allocate, and commit, on its own: a no-op run's three state writes cost three commits).
    for (const auto& p : batch)
      if (!fs_synced[p.dev]) (void)sync_file_range(p.file.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    std::vector<bool> durable(batch.size(), true);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!fs_synced[batch[i].dev] && fsync(batch[i].file.get()) != 0) {
        keep(batch[i], Status::io("fsync " + join_path(batch[i].dir_path, batch[i].base), errno));
        durable[i] = false;
      }
      batch[i].file.reset();
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      PendingWrite& p = batch[i];
      const int dfd = p.dir.get();
      if (!durable[i]) {
        unlinkat(dfd, p.tmp.c_str(), 0);
        continue;
      }
      if (renameat(dfd, p.tmp.c_str(), dfd, p.base.c_str()) != 0) {
        keep(p, Status::io("rename " + join_path(p.dir_path, p.base), errno));
        unlinkat(dfd, p.tmp.c_str(), 0);
        continue;
      }
      // In place: only the folder's sync is in doubt, a run error rather than this write's.
      if (Status s = changed_dir(std::move(p.dir), p.dir_path); !s.is_ok()) failed_.push_back(FailedWrite{0, std::move(s)});
    }
    pending_names_.clear();
    pending_dirs_.clear();
    pending_count_.store(0, std::memory_order_release);
  }

  struct DirtyDir {
    Fd fd;
    std::string path;
  };
  static constexpr size_t kMaxDirtyDirs = 256;  // open descriptors kept (RLIMIT_NOFILE is often 1024)
  /// A file written to its temp name, not yet durable nor renamed (flush_pending).
  struct PendingWrite {
    Fd file;
    Fd dir;
    dev_t dev;
    std::string dir_path, tmp, base;
    uint64_t tag = 0;  // set_write_tag of the thread that wrote it
  };
  static constexpr size_t kSyncfsFrom = 8;     // files of one filesystem in a batch
  static constexpr size_t kMaxPending = 192;  // 2 descriptors each; + kMaxDirtyDirs stays under 1024

  std::string root_;
  Fd root_fd_;
  mutable std::once_flag root_real_once_;
  mutable std::string root_real_;
  mutable std::mutex dirty_mu_;
  mutable std::map<std::pair<dev_t, ino_t>, DirtyDir> dirty_;
  mutable std::recursive_mutex pending_mu_;
  mutable std::vector<PendingWrite> pending_;
  mutable std::set<std::tuple<dev_t, ino_t, std::string>> pending_names_;
  mutable std::set<std::pair<dev_t, ino_t>> pending_dirs_;
  mutable std::atomic<size_t> pending_count_{0};
  mutable std::vector<FailedWrite> failed_;  // deferred writes that did not land (pending_mu_)
  mutable std::mutex accounts_mu_;
  mutable std::shared_ptr<const AccountDb> accounts_;
};

}  // namespace

const char* file_type_name(FileType t) {
  switch (t) {
    case FileType::kMissing: return "absent";
    case FileType::kFile: return "file";
    case FileType::kDirectory: return "directory";
    case FileType::kSymlink: return "link";
    case FileType::kOther: return "special file";
  }
  return "?";
}

const PasswdEntry* AccountDb::user(std::string_view name) const {
  for (const auto& u : users)
    if (u.name == name) return &u;
  return nullptr;
}
const ShadowEntry* AccountDb::shadow_entry(std::string_view name) const {
  for (const auto& e : shadow)
    if (e.name == name) return &e;
  return nullptr;
}

namespace {
bool is_skipped_account_line(const std::vector<std::string>& f, size_t min_fields) {
  return f.size() < min_fields || f[0].empty() || f[0][0] == '#' || f[0][0] == '+' || f[0][0] == '-';
}

/// An account file's uid or gid field: decimal digits only, at most 4294967294 ((uid_t)-1 is
/// "no id" to chown and setuid). Anything else makes the line no entry: read loosely it would
/// name another account ("1x5" as uid 1, "" or "abc" as 0, 4294967296 wrapped to 0: root).
std::optional<uint32_t> account_id(std::string_view s) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v > 4294967294ULL) return std::nullopt;
  return static_cast<uint32_t>(v);
}
}  // namespace

std::vector<AccountFileProblem> account_file_problems(std::string_view file, std::string_view text) {
  // Fields each file's parser needs, and which must be numbers (uid, gid).
  const bool passwd = file == "/etc/passwd", group = file == "/etc/group";
  const size_t want = passwd ? 7 : group ? 4 : 2;
  const std::vector<size_t> numeric = passwd ? std::vector<size_t>{2, 3} : group ? std::vector<size_t>{2} : std::vector<size_t>{};
  const std::string kind = passwd ? "passwd" : group ? "group" : "shadow";
  // shadow's sgetpwent (useradd, usermod, pwck) reads a passwd line into 32 KiB and calls a longer one corrupt.
  constexpr size_t kShadowToolsMax = 32767;
  std::vector<AccountFileProblem> out;
  size_t number = 0;
  for (const auto& line : split_lines(text)) {
    ++number;
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    auto f = roux::split(line, ':');
    // The name, never more (a shadow line holds a password hash): escaped and cut short.
    std::string named = f[0].empty() ? std::string("an empty name") : "name \"" + escape_controls(one_line(f[0], 40)) + "\"";
    std::string size = std::to_string(line.size()) + " bytes";
    AccountFileProblem p{std::string(file), number, "", true};
    if (f.size() < want || f[0].empty()) {
      p.what = "not a " + kind + " entry (" + std::to_string(f.size()) + (f.size() == 1 ? " field" : " fields") + ", want " +
               std::to_string(want) + "; " +
               named + "; " + size + ")";
    } else {
      for (size_t i : numeric)
        if (!account_id(f[i])) {
          p.what = "not a " + kind + " entry (field " + std::to_string(i + 1) + " \"" + escape_controls(one_line(f[i], 20)) +
                   (f[i].empty() || f[i].find_first_not_of("0123456789") != std::string::npos
                        ? "\" is not a number; "
                        : "\" is out of range (0 to 4294967294); ") +
                   named + "; " + size + ")";
          break;
        }
    }
    if (p.what.empty() && passwd && line.size() > kShadowToolsMax) {
      p.unreadable = false;
      p.what = named + ": a " + std::to_string(line.size()) + "-byte line; shadow's tools (useradd, usermod, pwck) read at most " +
               std::to_string(kShadowToolsMax) + " and call it corrupt";
    }
    if (!p.what.empty()) out.push_back(std::move(p));
  }
  return out;
}

Status AccountDb::check_readable(std::initializer_list<std::string_view> files) const {
  for (const auto& p : problems)
    if (p.unreadable && std::find(files.begin(), files.end(), p.file) != files.end())
      return Status::conflict("cannot tell which accounts exist: " + p.to_string() +
                              ": nothing created or changed until it is fixed (pwck -r / grpck -r list such lines)");
  return Status::ok();
}

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (const auto& line : split_lines(text)) {
    auto f = roux::split(line, ':');
    if (is_skipped_account_line(f, 7)) continue;
    auto uid = account_id(f[2]), gid = account_id(f[3]);
    if (!uid || !gid) continue;  // not an entry (account_file_problems names it)
    PasswdEntry e;
    e.name = f[0];
    e.uid = *uid;
    e.gid = *gid;
    e.gecos = f[4], e.home = f[5], e.shell = f[6];
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (const auto& line : split_lines(text)) {
    auto f = roux::split(line, ':');
    if (is_skipped_account_line(f, 4)) continue;
    auto gid = account_id(f[2]);
    if (!gid) continue;  // not an entry (account_file_problems names it)
    GroupEntry g;
    g.name = f[0];
    g.gid = *gid;
    if (!f[3].empty()) g.members = roux::split(f[3], ',');
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<ShadowEntry> parse_shadow(std::string_view text) {
  std::vector<ShadowEntry> out;
  for (const auto& line : split_lines(text)) {
    auto f = roux::split(line, ':');
    if (is_skipped_account_line(f, 2)) continue;
    out.push_back({f[0], f[1]});
  }
  return out;
}

const PasswdEntry* AccountDb::user_by_uid(uid_t uid) const {
  for (const auto& u : users)
    if (u.uid == uid) return &u;
  return nullptr;
}
const GroupEntry* AccountDb::group(std::string_view name) const {
  for (const auto& g : groups)
    if (g.name == name) return &g;
  return nullptr;
}
const GroupEntry* AccountDb::group_by_gid(gid_t gid) const {
  for (const auto& g : groups)
    if (g.gid == gid) return &g;
  return nullptr;
}

Result<std::unique_ptr<Host>> make_posix_host(const std::string& root) {
  std::string r = root.empty() ? "/" : root;
  // Absolute, so what gets the root passed on (useradd --root, dpkg --root, a chdir'd command)
  // sees the same folder: shadow's tools refuse a relative --root ("invalid chroot path").
  if (r.front() != '/') {
    std::error_code ec;
    auto abs = std::filesystem::absolute(r, ec);
    if (ec) return Status::io_msg("root " + r + ": " + ec.message());
    r = abs.lexically_normal().string();
    while (r.size() > 1 && r.back() == '/') r.pop_back();
  }
  Fd fd(open(r.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::io("open root " + r, errno);
  return std::unique_ptr<Host>(new PosixHost(r, std::move(fd)));
}

Status make_dirs(host::Host& host, const std::string& dir, uint32_t mode) {
  ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(dir));
  if (fi.type == host::FileType::kDirectory) return Status::ok();
  if (fi.exists()) return Status::conflict(dir + " exists and is not a directory");
  ROUX_TRY(make_dirs(host, host::parent_path(dir), mode));
  Status made = host.mkdir(dir, mode);
  if (made.is_ok()) return made;
  // Another process (a concurrent first run) may have made it since the lstat: that is success.
  ROUX_ASSIGN_OR_RETURN(host::FileInfo now, host.lstat(dir));
  return now.type == host::FileType::kDirectory ? Status::ok() : made;
}

std::string temp_name_of(std::string_view base) {
  constexpr size_t kKeep = 180;  // + "." + "~" + 16 hex + ".roux-tmp" = 207 bytes at most
  if (base.size() <= kKeep + 26) return "." + std::string(base) + ".roux-tmp";
  return "." + std::string(base.substr(0, kKeep)) + "~" + sha256_hex(base).substr(0, 16) + ".roux-tmp";
}

bool is_roux_temp_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".roux-tmp";
  return name.size() > kSuffix.size() + 1 && name[0] == '.' &&
         name.substr(name.size() - kSuffix.size()) == kSuffix;
}

Status remove_stale_temps(Host& host, const std::string& dir) {
  ROUX_ASSIGN_OR_RETURN(FileInfo d, host.lstat(dir));
  if (d.type != FileType::kDirectory) return Status::ok();
  ROUX_ASSIGN_OR_RETURN(std::vector<std::string> names, host.list_dir(dir));
  std::string prefix = dir == "/" ? "/" : dir + "/";
  for (const auto& n : names) {
    if (!is_roux_temp_name(n)) continue;
    ROUX_ASSIGN_OR_RETURN(FileInfo fi, host.lstat(prefix + n));
    if (fi.type == FileType::kFile || fi.type == FileType::kSymlink) ROUX_TRY(host.remove(prefix + n));
  }
  return Status::ok();
}

Status remove_stale_temp_of(Host& host, const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash + 1 >= path.size()) return Status::ok();
  std::string tmp = path.substr(0, slash + 1) + temp_name_of(std::string_view(path).substr(slash + 1));
  ROUX_ASSIGN_OR_RETURN(FileInfo fi, host.lstat(tmp));
  if (fi.type == FileType::kFile || fi.type == FileType::kSymlink) return host.remove(tmp);
  return Status::ok();
}

Result<std::string> normalize_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return Status::invalid_input("path must be absolute: \"" + one_line(path, 200) + "\"");
  // A NUL would cut the path short at the system call ("/etc/passwd\0.bak" is /etc/passwd); a
  // line break or other control character has no place in a managed path and breaks every
  // line-based file that names it (passwd, cron.d, reports).
  if (has_control_char(path))
    return Status::invalid_input("path must not contain a NUL byte, a line break or another control character: \"" +
                                 one_line(path, 200) + "\"");
  // One string built in place: every managed path of a policy passes here at compile time.
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size();) {
    size_t slash = path.find('/', i);
    std::string_view p = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    i = slash == std::string_view::npos ? path.size() : slash + 1;
    if (p.empty() || p == ".") continue;
    if (p == "..") return Status::invalid_input("path must not contain \"..\": \"" + one_line(path, 200) + "\"");
    out += '/';
    out += p;
  }
  if (out.empty()) out = "/";
  return out;
}

std::string parent_path(std::string_view path) {
  size_t pos = path.rfind('/');
  if (pos == 0 || pos == std::string_view::npos) return "/";
  return std::string(path.substr(0, pos));
}

}  // namespace roux::host
