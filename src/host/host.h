#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/subprocess.h"

namespace roux::host {

/// What lstat saw at a path. `type == kMissing` means nothing is there (not an error).
enum class FileType { kMissing, kFile, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kMissing;
  uint32_t mode = 0;      // permission bits only (07777)
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool exists() const { return type != FileType::kMissing; }
};

const char* file_type_name(FileType t);

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string gecos, home, shell;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

/// One line of /etc/shadow: the name and the password hash ("!", "*", "$y$..."), nothing else.
struct ShadowEntry {
  std::string name;
  std::string password;
};

/// The user and group databases of the managed root, read once (passwd, group, shadow).
/// `shadow_readable` is false when /etc/shadow could not be read (not root): then `shadow` is empty.
/// A line of an account file that is not what it should be ("/etc/passwd:2: ...").
struct AccountFileProblem {
  std::string file;  // "/etc/passwd", "/etc/group", "/etc/shadow"
  size_t line = 0;   // 1-based
  std::string what;
  /// Not an entry (too few fields, an empty name, an id that is not a number): the parsers skip
  /// it, so which name and id it holds is unknown. Else roux reads it, but shadow's tools do not.
  bool unreadable = false;
  std::string to_string() const { return file + ":" + std::to_string(line) + ": " + what; }
};

struct AccountDb {
  std::vector<PasswdEntry> users;
  std::vector<GroupEntry> groups;
  std::vector<ShadowEntry> shadow;
  bool shadow_readable = false;
  /// The lines of passwd, group and shadow the parsers skipped or shadow's tools misread.
  std::vector<AccountFileProblem> problems;
  /// A refusal naming the first unreadable line of one of `files`, or OK: with such a line, a
  /// user or group could exist without roux seeing it, and be created again or its id reused.
  Status check_readable(std::initializer_list<std::string_view> files) const;
  const PasswdEntry* user(std::string_view name) const;
  const ShadowEntry* shadow_entry(std::string_view name) const;
  const PasswdEntry* user_by_uid(uid_t uid) const;
  const GroupEntry* group(std::string_view name) const;
  const GroupEntry* group_by_gid(gid_t gid) const;
};

/// The ONLY door to the machine. Every path is absolute as a recipe writes it ("/etc/motd") and
/// is resolved inside root() (the real "/" or a --root tree): symbolic links in parent folders are
/// followed but can never leave root, and the last component is never followed. Reads are const;
/// writes are not, so code holding a `const Host&` cannot change the host (dry-run safety).
/// Thread-safety: reads may run concurrently; writes are serialised by the engine.
class Host {
 public:
  virtual ~Host() = default;
  /// "/" or the --root directory.
  virtual const std::string& root() const = 0;

  // --- Reads: never change anything. ---
  /// lstat; a missing path is FileInfo{kMissing}, not an error.
  virtual Result<FileInfo> lstat(const std::string& path) const = 0;
  /// Whole content of a regular file, refused beyond `max_bytes`; never follows a final symlink.
  virtual Result<std::string> read_file(const std::string& path, size_t max_bytes = 64 << 20) const = 0;
  /// lstat, and when `expected` is given and the entry is a regular file of exactly its size, also
  /// whether the content equals it (`*same`; false otherwise), compared as it is read, chunk by
  /// chunk, stopping at the first difference. One open, no hashing: the no-op hot path of files.
  virtual Result<FileInfo> lstat_compare(const std::string& path, const std::string* expected, bool* same) const = 0;
  /// SHA-256 hex of a regular file's content, streamed.
  virtual Result<std::string> file_sha256(const std::string& path) const = 0;
  virtual Result<std::string> readlink(const std::string& path) const = 0;
  /// Names in a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) const = 0;
  /// passwd/group of the managed root, read once and cached until invalidate_accounts().
  virtual Result<std::shared_ptr<const AccountDb>> accounts() const = 0;
  /// Runs a read-only check command (a guard). By contract the command changes nothing; it runs
  /// in plan as in apply. ROUX_ROOT is exported.
  virtual Result<SubprocessResult> run_check(SubprocessOptions opts) const = 0;
  /// Whether `service` runs, when this host records it (the planned host, after a planned start
  /// or stop); nullopt when the init system must be asked (always, on the real host).
  virtual std::optional<bool> service_running(const std::string& /*service*/) const { return std::nullopt; }
  /// Whether `service` starts at boot, when this host records it (as service_running).
  virtual std::optional<bool> service_enabled(const std::string& /*service*/) const { return std::nullopt; }
  /// `path` as this host resolves it: the real path (inside root, as a recipe writes paths) of
  /// its longest existing parent folder, symbolic links followed as every call of this door
  /// follows them, with the missing rest and the last component appended as written (the last
  /// component is never followed). "/srv/link/a" with /srv/link -> /srv/real is "/srv/real/a".
  /// For the worker pool, which must see that two paths name one entry. A host that cannot tell
  /// (the planned host) returns `path`.
  virtual std::string real_path(const std::string& path) const { return path; }
  /// How many outcomes this host assumed instead of observing them (a command's effect, a guard
  /// run on a host the plan has not reached yet). Always 0 on the real host.
  virtual uint64_t predictions() const { return 0; }

  // --- Writes: only reachable through ConvergeContext::change() in apply mode. ---
  /// Atomically replaces `path` with `content`: temp file in the same folder (O_EXCL|O_NOFOLLOW),
  /// mode/owner set before the rename, data durable, rename over the old entry (a symlink there
  /// is replaced, never written through); the folder is synced by sync_changed_dirs(). A crash
  /// leaves old or new content. The real host may defer the sync and rename to one pass over
  /// many files (docs/design.md), never past a read, change or command that could see the name.
  virtual Status write_file(const std::string& path, std::string_view content, uint32_t mode,
                            std::optional<uid_t> uid, std::optional<gid_t> gid) = 0;
  /// A content made piece by piece: calls its sink once per piece, in order, and returns the
  /// first error the sink returns (or its own).
  using PieceSink = std::function<Status(std::string_view)>;
  using Pieces = std::function<Status(const PieceSink&)>;
  /// write_file with the content given as pieces: the same atomic, durable replace, without the
  /// whole content in memory where the host can write it as it comes (the real host does; this
  /// default joins the pieces, then calls write_file). For roux's own large files (the report).
  virtual Status write_file_pieces(const std::string& path, const Pieces& pieces, uint32_t mode,
                                   std::optional<uid_t> uid, std::optional<gid_t> gid) {
    std::string content;
    Status s = pieces([&content](std::string_view piece) {
      content.append(piece);
      return Status::ok();
    });
    if (!s.is_ok()) return s;
    return write_file(path, content, mode, uid, gid);
  }
  virtual Status mkdir(const std::string& path, uint32_t mode) = 0;
  /// chmod/chown on the entry itself; refuses a symlink (use lchown semantics for links).
  virtual Status chmod(const std::string& path, uint32_t mode) = 0;
  virtual Status chown(const std::string& path, std::optional<uid_t> uid, std::optional<gid_t> gid) = 0;
  /// Removes a file, symlink or empty directory.
  virtual Status remove(const std::string& path) = 0;
  /// Removes a directory tree without following any symlink inside it.
  virtual Status remove_tree(const std::string& path) = 0;
  /// Atomically makes `path` a symlink to `target` (replacing a file or link there).
  virtual Status symlink(const std::string& target, const std::string& path) = 0;
  /// Appends `data` to a file (created with `mode` if missing) in one write, then fsyncs. For
  /// roux's own logs (run history), not for managed files.
  virtual Status append_file(const std::string& path, std::string_view data, uint32_t mode) = 0;
  /// Writes `data` into the EXISTING regular file `path` in place (opened for writing and
  /// truncated, never created, last component never followed), without temp file or rename: for
  /// kernel interfaces such as /proc/sys, where a renamed file would never reach the kernel.
  /// Not atomic; never for ordinary files.
  virtual Status write_in_place(const std::string& path, std::string_view data) = 0;
  /// Copies a regular file to `dest` atomically with `mode` (backups).
  virtual Status copy_file(const std::string& src, const std::string& dest, uint32_t mode) = 0;
  /// Sets the modification time of the entry itself (a link's own, never its target's), as
  /// useradd -m keeps the skeleton's times; a folder's pending entries go in place first.
  virtual Status set_mtime(const std::string& /*path*/, int64_t /*mtime_ns*/) { return Status::ok(); }
  /// The known effect of a command, expressed as writes to a host (useradd appends to
  /// /etc/passwd; apt rewrites the dpkg database). The real host runs the command and ignores
  /// the model; the planned host applies the model instead of running the command.
  using Model = std::function<Status(Host&)>;
  /// Runs a command that may change the host (exec resources, package managers). `model`, when
  /// given, is what the planned host applies in its place (see Model).
  virtual Result<SubprocessResult> run(SubprocessOptions opts, const Model& model) = 0;
  Result<SubprocessResult> run(SubprocessOptions opts) { return run(std::move(opts), Model()); }
  /// Records that `service` now runs or not (after a start, stop or restart). The real host
  /// ignores it (the init system knows); the planned host remembers it for service_running().
  virtual void set_service_running(const std::string& /*service*/, bool /*running*/) {}
  /// Records that `service` is now enabled or not (as set_service_running).
  virtual void set_service_enabled(const std::string& /*service*/, bool /*enabled*/) {}
  /// Forget cached account data after useradd & co.
  virtual void invalidate_accounts() = 0;
  /// Takes the account files' lock of the managed root, the one lckpwdf(3) takes (shadow's
  /// useradd/usermod/vipw, systemd-sysusers): an fcntl write lock on ROOT/etc/.pwd.lock (made
  /// 0600 if missing), waiting at most `wait_ms` for another holder. Held until the returned
  /// handle is destroyed. A host that writes nothing durable (the planned host) takes none.
  virtual Result<std::shared_ptr<void>> lock_account_files(int /*wait_ms*/) { return std::shared_ptr<void>(); }
  /// Makes the names of every change so far durable. write_file, mkdir, symlink, remove and
  /// remove_tree make their data durable before their rename (write_file's perhaps in a later
  /// batch, flushed here first) but only record the folder they changed; this fsyncs each recorded
  /// folder once and returns the first error of a deferred write_file's sync or rename. A
  /// crash before it leaves each entry old or new, never partial. The real host calls it itself
  /// before run() (a command may act on the changes outside this process); the caller calls it
  /// before a report says what changed. Hosts that write nothing durable return OK.
  virtual Status sync_changed_dirs() { return Status::ok(); }
  /// Tags the deferred writes (write_file) the calling thread makes from now on with `tag` (0:
  /// none), so a write that fails when it is put in place later is traced back to the change
  /// that made it (take_failed_writes). ConvergeContext::change sets it around each act. A
  /// command run (run()) under a tag fails with that tag's failed write, never another's.
  virtual void set_write_tag(uint64_t /*tag*/) {}
  /// A deferred write that did not land (its sync or rename failed): the file keeps its old
  /// content (or stays absent).
  struct FailedWrite {
    uint64_t tag = 0;
    Status error;
  };
  /// Puts every deferred write in place now and returns the tagged ones that failed since the
  /// last call (untagged failures stay for sync_changed_dirs). The engine calls it before a
  /// resource's dependents or notifications see its outcome, and at the end of the walk.
  virtual std::vector<FailedWrite> take_failed_writes() { return {}; }
};

/// Parsers for the account files, tolerant like the libc: blank, comment ("#") and short lines
/// are skipped; NIS "+"/"-" lines too. Pure functions.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::vector<GroupEntry> parse_group(std::string_view text);
std::vector<ShadowEntry> parse_shadow(std::string_view text);
/// The lines of the account file `file` ("/etc/passwd", "/etc/group", "/etc/shadow") holding
/// `text` that its parser above skips though they are neither blank, comments nor NIS lines
/// (unreadable), and the passwd lines shadow's tools take for corrupt (32 KiB or longer).
std::vector<AccountFileProblem> account_file_problems(std::string_view file, std::string_view text);

/// The real host, rooted at `root` ("/" or a --root folder). Fails when root cannot be opened.
Result<std::unique_ptr<Host>> make_posix_host(const std::string& root);

/// Creates `dir` and any missing parents with `mode` (existing ones are left alone). A folder
/// that another process creates meanwhile counts as made (no "File exists" race).
Status make_dirs(Host& host, const std::string& dir, uint32_t mode);

/// roux's own temp files are named ".NAME.roux-tmp" (the host door) or ".NAME.RANDOM.roux-tmp"
/// (sources::write_local_file_atomic): a run killed between create and rename leaves one.
bool is_roux_temp_name(std::string_view name);
/// The host door's temp name for a file named `base`: ".BASE.roux-tmp", with a long BASE cut and
/// a hash of it added so the name stays within NAME_MAX (255 bytes) and distinct.
std::string temp_name_of(std::string_view base);
/// Removes the leftover temp files in `dir` (regular files and links with a roux temp name,
/// nothing else; not recursive). Only for roux's own folders: state, backups, reports.
/// A missing `dir` is fine.
Status remove_stale_temps(Host& host, const std::string& dir);
/// Removes the leftover temp of `path` (".NAME.roux-tmp" beside it), if there is one.
Status remove_stale_temp_of(Host& host, const std::string& path);

/// Lexically normalises an absolute path ("/a//b/./c" -> "/a/b/c"); fails on a relative path
/// or one that contains "..".
Result<std::string> normalize_path(std::string_view path);
/// "/a/b" -> "/a"; "/a" -> "/".
std::string parent_path(std::string_view path);

}  // namespace roux::host
