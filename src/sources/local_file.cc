#include "sources/local_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "base/read_fd.h"

namespace roux::sources {

Result<std::string> read_local_file(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::io("open " + path, errno);
  std::string out;
  const int e = read_fd_to_end(fd, max_bytes, &out);
  if (e != 0) {
    ::close(fd);
    if (e == EFBIG) return Status::io_msg("read " + path + ": larger than " + std::to_string(max_bytes) + " bytes");
    return Status::io("read " + path, e);
  }
  ::close(fd);
  return out;
}

namespace {

long openat2_call(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  long fd;
  do fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  return fd;
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::string> read_file_beneath(const std::string& dir, const std::string& rel, size_t max_bytes) {
  const std::string shown = dir + "/" + rel;
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status::io("open " + dir, errno);
  FdCloser dc{dfd};
  long fd = openat2_call(dfd, rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return Status::not_found(shown + ": not found");
    if (e == EXDEV || e == ELOOP)
      return Status::untrusted(shown + ": a symlink leads out of the cookbook folder; refused (cookbook content is "
                               "never read through a link that leaves the cookbook)");
    return Status::io("open " + shown, e);
  }
  FdCloser fc{static_cast<int>(fd)};
  struct stat st;
  if (::fstat(fc.fd, &st) != 0) return Status::io("stat " + shown, errno);
  if (!S_ISREG(st.st_mode)) return Status::invalid_input(shown + ": not a regular file");
  std::string out;
  const int e = read_fd_to_end(fc.fd, max_bytes, &out, static_cast<size_t>(st.st_size));
  if (e == EFBIG) return Status::io_msg("read " + shown + ": larger than " + std::to_string(max_bytes) + " bytes");
  if (e != 0) return Status::io("read " + shown, e);
  return out;
}

Result<std::string> confined_dir(const std::string& root, const std::string& path_in_root, bool create, mode_t mode) {
  if (path_in_root.empty() || path_in_root[0] != '/')
    return Status::invalid_input("\"" + path_in_root + "\" must be an absolute path inside the root");
  std::vector<std::string> parts;
  for (size_t i = 0; i < path_in_root.size();) {
    size_t j = path_in_root.find('/', i);
    if (j == std::string::npos) j = path_in_root.size();
    std::string c = path_in_root.substr(i, j - i);
    if (c == "..") return Status::invalid_input("\"" + path_in_root + "\" must not contain \"..\"");
    if (!c.empty() && c != ".") parts.push_back(c);
    i = j + 1;
  }
  if (root.empty() || root == "/") {
    if (create) {
      std::error_code ec;
      std::filesystem::create_directories(path_in_root, ec);
      if (ec) return Status::io("create " + path_in_root, ec.value());
    }
    return path_in_root;
  }
  int rfd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0) return Status::io("open root " + root, errno);
  FdCloser rc{rfd};
  // Walk down one component at a time, each resolved inside root; the deepest existing folder's
  // real path comes from /proc/self/fd (its descriptor was opened inside root, so it is inside).
  std::string rel;
  size_t done = 0;
  FdCloser cur{static_cast<int>(openat2_call(rfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT))};
  if (cur.fd < 0) return Status::io("open root " + root, errno);
  for (; done < parts.size(); ++done) {
    std::string next = rel.empty() ? parts[done] : rel + "/" + parts[done];
    long fd = openat2_call(rfd, next, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0 && errno == ENOENT && create) {
      // mkdirat in the parent as resolved inside root; a racing creator is fine (EEXIST).
      if (::mkdirat(cur.fd, parts[done].c_str(), mode) != 0 && errno != EEXIST)
        return Status::io("create " + path_in_root + " in " + root, errno);
      fd = openat2_call(rfd, next, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      if (fd < 0 && errno == ENOENT)
        return Status::untrusted("/" + next + " in " + root +
                                 " is a symlink to a folder missing inside the root; refusing to follow it out of the root");
    }
    if (fd < 0) {
      if (errno == ENOENT && !create) {
        // Missing, unless a symlink is there that leads nowhere inside the root: appending the
        // rest to it would let the kernel follow it out of the root.
        struct stat st;
        if (::fstatat(cur.fd, parts[done].c_str(), &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) == 0)
          return Status::untrusted("/" + next + " in " + root +
                                   " is a symlink to a folder missing inside the root; refusing to follow it out of the root");
        break;
      }
      return Status::io("open " + path_in_root + " in " + root, errno);
    }
    ::close(cur.fd);
    cur.fd = static_cast<int>(fd);
    rel = next;
  }
  auto fd_path = [](int fd) -> std::string {
    char buf[4096];
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(proc.c_str(), buf, sizeof buf - 1);
    return n < 0 ? std::string() : std::string(buf, size_t(n));
  };
  std::string real = fd_path(cur.fd), top = fd_path(rfd);
  if (real.empty() || top.empty()) return Status::io("resolve " + path_in_root + " in " + root, errno);
  if (real != top && real.compare(0, top.size() + 1, top + "/") != 0)
    return Status::untrusted(path_in_root + " in " + root + " resolves to " + real + ", outside the root; refused");
  for (size_t i = done; i < parts.size(); ++i) real += (real == "/" ? "" : "/") + parts[i];
  return real;
}

ScratchDir::ScratchDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && tmp[0] == '/' ? tmp : "/tmp") + "/roux-" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(tmpl.data())) path = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path.empty()) std::filesystem::remove_all(path, ec);
}

}  // namespace roux::sources
