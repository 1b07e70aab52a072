#include "cli/rehearse.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace roux::cli {
namespace {

constexpr int kSetupFailed = 125;  // the child could not build the sandbox; its message is on stderr

[[noreturn]] void die(const std::string& what) {
  std::string msg = "roux: rehearsal: " + what + ": " + std::strerror(errno) + "\n";
  (void)!write(STDERR_FILENO, msg.data(), msg.size());
  _exit(kSetupFailed);
}

void mount_or_die(const char* src, const std::string& dst, const char* type, unsigned long flags, const char* data) {
  if (mount(src, dst.c_str(), type, flags, data) != 0) die("mount " + dst);
}

/// Pid 1 of the new namespaces: builds the overlay, chroots into it, runs roux.
/// The mount points below "/" whose files a converge may read or write (not /proc, /sys, /dev,
/// /run, which the sandbox makes anew), parents first. An overlay of "/" does not include them.
std::vector<std::string> other_mounts() {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, fsroot, point;
    f >> id >> parent >> devno >> fsroot >> point;
    if (point.empty() || point == "/") continue;
    bool skip = false;
    for (const char* p : {"/proc", "/sys", "/dev", "/run"})
      skip = skip || point == p || point.rfind(std::string(p) + "/", 0) == 0;
    if (skip || point.find("\\") != std::string::npos) continue;  // escaped names: left out
    out.push_back(point);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// Pid 1 of the new namespaces: builds the overlay, chroots into it, runs roux.
[[noreturn]] void inner(const std::string& base, const std::vector<std::string>& mounts, int exe,
                        const std::vector<std::string>& args, const std::string& cwd) {
  mount_or_die(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  // `base` is an empty folder the parent made; a tmpfs on it holds the upper layers.
  mount_or_die("roux-rehearsal", base, "tmpfs", 0, "mode=0700");
  for (const char* d : {"/u", "/w", "/m"})
    if (::mkdir((base + d).c_str(), 0755) != 0) die("mkdir " + base + d);
  const std::string m = base + "/m";
  std::string opts = "lowerdir=/,upperdir=" + base + "/u,workdir=" + base + "/w";
  mount_or_die("overlay", m, "overlay", 0, opts.c_str());
  // Every other filesystem (a /tmp tmpfs, a separate /var or /srv, the --root tree's own) gets
  // an overlay of its own at the same place; one that cannot be overlaid stays an empty folder
  // of the outer overlay, so a write there still never reaches the host.
  int n = 0;
  for (const auto& point : mounts) {
    if (point == base || point.rfind(base + "/", 0) == 0) continue;
    std::string u = base + "/u" + std::to_string(n), w = base + "/w" + std::to_string(n);
    ++n;
    if (::mkdir(u.c_str(), 0755) != 0 || ::mkdir(w.c_str(), 0755) != 0) die("mkdir " + u);
    std::string o = "lowerdir=" + point + ",upperdir=" + u + ",workdir=" + w;
    if (mount("overlay", (m + point).c_str(), "overlay", 0, o.c_str()) != 0) {
      std::string msg = "roux: rehearsal: " + point + " cannot be overlaid (" + std::strerror(errno) +
                        "); it is empty in the rehearsal\n";
      (void)!write(STDERR_FILENO, msg.data(), msg.size());
    }
  }
  mount_or_die("proc", m + "/proc", "proc", 0, nullptr);
  mount_or_die("/dev", m + "/dev", nullptr, MS_BIND | MS_REC, nullptr);
  mount_or_die("/sys", m + "/sys", nullptr, MS_BIND | MS_REC, nullptr);
  mount_or_die(nullptr, m + "/sys", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
  mount_or_die("tmpfs", m + "/run", "tmpfs", 0, "mode=0755");
  ::mkdir((m + "/run/lock").c_str(), 01777);
  if (chroot(m.c_str()) != 0) die("chroot " + m);
  if (chdir(cwd.c_str()) != 0 && chdir("/") != 0) die("chdir");
  std::vector<char*> argv;
  static std::string name = "roux";
  argv.push_back(name.data());
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // This process is pid 1 of the namespace: it reaps every orphan (a daemon an init script
  // stops must not linger as a zombie, or `start-stop-daemon --retry` waits for it in vain) and
  // ends with roux, which takes everything left in the namespace down with it.
  pid_t run = fork();
  if (run < 0) die("fork");
  if (run == 0) {
    fexecve(exe, argv.data(), environ);
    die("exec roux");
  }
  for (;;) {
    int st = 0;
    pid_t w = waitpid(-1, &st, 0);
    if (w == run) _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    if (w < 0 && errno != EINTR) die("wait");
  }
}

}  // namespace

Result<RehearsalRun> rehearse(const std::vector<std::string>& args, const std::string& root) {
  if (geteuid() != 0) return Status::unsupported("plan --rehearse needs root (it mounts an overlay in private namespaces)");
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) return Status::io("open /proc/self/exe", errno);
  if (root != "/") {
    struct stat a;
    if (stat(root.c_str(), &a) != 0) return Status::io("stat " + root, errno);
  }
  const std::vector<std::string> mounts = other_mounts();
  char cwd_buf[4096];
  std::string cwd = getcwd(cwd_buf, sizeof cwd_buf) ? cwd_buf : "/";
  const char* tmpdir = getenv("TMPDIR");
  std::string base = std::string(tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp") + "/roux-rehearsal.XXXXXX";
  if (!mkdtemp(base.data())) return Status::io("mkdtemp " + base, errno);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    rmdir(base.c_str());
    return Status::io("pipe", errno);
  }
  pid_t pid = fork();
  if (pid < 0) {
    rmdir(base.c_str());
    return Status::io("fork", errno);
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC) != 0) die("unshare namespaces");
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) inner(base, mounts, exe, args, cwd);
    int st = 0;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
  close(out[1]);
  close(exe);
  RehearsalRun run;
  char buf[65536];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    run.report_json.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  rmdir(base.c_str());
  run.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (run.exit_code == kSetupFailed)
    return Status::unsupported("plan --rehearse could not build its sandbox (it needs root, mount/pid/net "
                               "namespaces and overlayfs; see the message above)");
  return run;
}

}  // namespace roux::cli
