#pragma once
#include <string>

#include "base/status.h"

namespace roux::engine {

/// The whole-run lock: an fcntl write lock on STATE_DIR/run.lock, so the kernel releases it when
/// the process dies (no stale lock) and F_GETLK names the holder's pid. One per process.
class RunLock {
 public:
  RunLock() = default;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

  /// Takes the lock on `path`, waiting up to `wait_seconds` (0 = try once). With `create` false a
  /// missing lock file means nobody can hold it: returns OK without locking (plan never writes).
  /// Fails with kConflict "another roux run (pid N) holds PATH" when the wait runs out.
  Status acquire(const std::string& path, int wait_seconds, bool create);

  /// Apply runs only, after acquire: writes "running PID" into the lock file, cleared again when
  /// this RunLock is destroyed. A holder that dies mid-run (SIGKILL, power cut) leaves the text,
  /// so the next run knows it may find that run's leftovers (temp files) and sweeps them.
  /// Returns whether the previous holder left it behind.
  bool mark_running();

 private:
  int fd_ = -1;
  bool marked_ = false;
};

}  // namespace roux::engine
