// Facts: mounted filesystems with their free space (/proc/self/mounts + statvfs). Pseudo
// filesystems are skipped; network ones are listed without space (statvfs on a dead NFS server
// blocks for minutes); the statvfs calls run on a worker thread the run waits for at most a budget.
#include <sys/statvfs.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "facts/facts.h"

namespace roux::facts {
namespace {

const std::set<std::string> kPseudo = {
    "proc",      "sysfs",   "devtmpfs", "devpts",  "cgroup",   "cgroup2",     "securityfs", "pstore",
    "bpf",       "debugfs", "tracefs",  "mqueue",  "hugetlbfs", "configfs",   "fusectl",    "autofs",
    "binfmt_misc", "rpc_pipefs", "nsfs", "efivarfs", "ramfs",  "selinuxfs",   "fuse.gvfsd-fuse", "fuse.portal",
    "fuse.lxcfs", "squashfs", "nfsd"};
const std::set<std::string> kNetwork = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "fuse.sshfs",
                                        "sshfs", "ceph", "glusterfs", "fuse.glusterfs", "9p", "afs", "lustre"};

/// /proc/mounts escapes space, tab, newline and backslash as \ooo.
std::string unescape(const char* s) {
  std::string out;
  for (; *s; ++s) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
      out += static_cast<char>((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 3;
    } else {
      out += *s;
    }
  }
  return out;
}

/// Shared between the run and the worker, which may outlive the wait if a statvfs hangs.
struct Work {
  std::vector<Filesystem> list;
  size_t done = 0;  // entries of `list` the worker has finished
  std::mutex mu;
  std::condition_variable cv;
};

}  // namespace

void gather_filesystems(Facts& f, int budget_ms) {
  FILE* m = std::fopen("/proc/self/mounts", "re");
  if (!m) return;
  auto work = std::make_shared<Work>();
  char line[4096];
  std::set<std::string> seen;
  while (std::fgets(line, sizeof line, m)) {
    char dev[1024], mnt[1024], type[128];
    if (std::sscanf(line, "%1023s %1023s %127s", dev, mnt, type) != 3) continue;
    std::string mp = unescape(mnt), t = type;
    if (kPseudo.count(t)) continue;
    if (mp.rfind("/proc", 0) == 0 || mp.rfind("/sys", 0) == 0 || (mp.rfind("/dev", 0) == 0 && mp != "/dev/shm") ||
        mp.rfind("/run/", 0) == 0 || mp == "/run")
      continue;
    if (t == "tmpfs" && mp != "/tmp" && mp != "/dev/shm") continue;
    // An over-mount hides the one beneath: keep the last entry of a mount point.
    if (!seen.insert(mp).second) {
      for (auto it = work->list.begin(); it != work->list.end(); ++it)
        if (it->mount_point == mp) {
          work->list.erase(it);
          break;
        }
    }
    work->list.push_back({mp, unescape(dev), t});
  }
  std::fclose(m);

  std::vector<Filesystem> snapshot = work->list;
  std::thread([work, snapshot]() mutable {
    for (size_t i = 0; i < snapshot.size(); ++i) {
      Filesystem& fs = snapshot[i];
      struct statvfs sv;
      if (!kNetwork.count(fs.type) && ::statvfs(fs.mount_point.c_str(), &sv) == 0 && sv.f_blocks > 0) {
        uint64_t unit = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
        fs.has_space = true;
        fs.size_mb = sv.f_blocks * unit / (1024 * 1024);
        fs.available_mb = sv.f_bavail * unit / (1024 * 1024);
        uint64_t used = sv.f_blocks - sv.f_bfree;
        uint64_t denom = used + sv.f_bavail;
        fs.used_percent = denom ? static_cast<int>((used * 100 + denom - 1) / denom) : 0;
      }
      std::lock_guard lock(work->mu);
      work->list[i] = fs;
      work->done = i + 1;
      work->cv.notify_all();
    }
  }).detach();
  std::unique_lock lock(work->mu);
  work->cv.wait_for(lock, std::chrono::milliseconds(budget_ms), [&] { return work->done == work->list.size(); });
  f.filesystems = work->list;  // entries not reached in time keep has_space = false
}

}  // namespace roux::facts
