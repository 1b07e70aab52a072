#include "engine/run_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace roux::engine {

RunLock::~RunLock() {
  if (fd_ < 0) return;
  if (marked_) (void)!ftruncate(fd_, 0);  // a finished run: nothing to sweep next time
  close(fd_);
}

bool RunLock::mark_running() {
  if (fd_ < 0) return false;
  char buf[64];
  ssize_t n = pread(fd_, buf, sizeof buf, 0);
  bool interrupted = n > 0;
  std::string text = "running " + std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) == 0 && pwrite(fd_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()))
    marked_ = true;
  return interrupted;
}

Status RunLock::acquire(const std::string& path, int wait_seconds, bool create) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
  if (fd < 0) {
    if (!create && errno == ENOENT) return Status::ok();
    return Status::io("open run lock " + path, errno);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  while (true) {
    struct flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) == 0) {
      fd_ = fd;
      return Status::ok();
    }
    if (errno != EAGAIN && errno != EACCES) {
      int e = errno;
      close(fd);
      return Status::io("lock " + path, e);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      struct flock who{};
      who.l_type = F_WRLCK;
      who.l_whence = SEEK_SET;
      std::string holder = "another roux run";
      if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
        holder += " (pid " + std::to_string(who.l_pid) + ")";
      close(fd);
      return Status::conflict(holder + " holds the run lock " + path +
                              (wait_seconds ? "; gave up after waiting " + std::to_string(wait_seconds) + "s"
                                            : "; use --lock-wait SECONDS to wait for it"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace roux::engine
