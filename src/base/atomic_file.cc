#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>

namespace roux {

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode, bool exclusive) {
  if (exclusive && ::access(path.c_str(), F_OK) == 0) return Status::conflict(path + " already exists");
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) return Status::invalid_input("cannot write to " + path);
  // A fresh, unguessable name created with O_EXCL|O_NOFOLLOW: a file or link planted beside the
  // target (FILE.tmp -> /etc/shadow) is never opened, let alone written through. The name is
  // roux's own temp pattern (.NAME.RANDOM.roux-tmp), so a killed run's leftover is recognisable.
  std::random_device rd;
  char rnd[24];
  std::snprintf(rnd, sizeof rnd, "%08x%08x", rd(), rd());
  std::string tmp = (dir == "/" ? "" : dir) + "/." + base.substr(0, 128) + "." + rnd + kTempSuffix;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::io("create " + tmp, errno);
  auto fail = [&](const std::string& what, int e) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return Status::io(what, e);
  };
  if (::fchmod(fd, mode) != 0) return fail("chmod " + tmp, errno);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write " + tmp, errno);
    }
    off += size_t(n);
  }
  if (::fsync(fd) != 0) return fail("fsync " + tmp, errno);
  int closed = ::close(fd);
  fd = -1;
  if (closed != 0) return fail("close " + tmp, errno);
  if (exclusive) {
    // link() fails if the target exists, so two writers cannot both win.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      return e == EEXIST ? Status::conflict(path + " already exists") : Status::io("link " + path, e);
    }
    ::unlink(tmp.c_str());
  } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
    // rename replaces whatever entry is at path (a symlink there is replaced, not followed).
    return fail("rename " + tmp + " to " + path, errno);
  }
  // The new name is durable once its folder is.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status::io("open " + dir, errno);
  int synced = ::fsync(dfd);
  int e = errno;
  ::close(dfd);
  if (synced != 0) return Status::io("fsync " + dir, e);
  return Status::ok();
}

}  // namespace roux
