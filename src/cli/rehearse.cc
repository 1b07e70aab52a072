#include "cli/rehearse.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

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
[[noreturn]] void inner(const std::string& base, const std::string& root, bool root_own_overlay, int exe,
                        const std::vector<std::string>& args, const std::string& cwd) {
  mount_or_die(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  // `base` is an empty folder the parent made; a tmpfs on it holds the upper layers.
  mount_or_die("roux-rehearsal", base, "tmpfs", 0, "mode=0700");
  for (const char* d : {"/u", "/w", "/m", "/ru", "/rw"})
    if (::mkdir((base + d).c_str(), 0755) != 0) die("mkdir " + base + d);
  const std::string m = base + "/m";
  std::string opts = "lowerdir=/,upperdir=" + base + "/u,workdir=" + base + "/w";
  mount_or_die("overlay", m, "overlay", 0, opts.c_str());
  if (root_own_overlay) {
    std::string ropts = "lowerdir=" + root + ",upperdir=" + base + "/ru,workdir=" + base + "/rw";
    mount_or_die("overlay", m + root, "overlay", 0, ropts.c_str());
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
  fexecve(exe, argv.data(), environ);
  die("exec roux");
}

}  // namespace

Result<RehearsalRun> rehearse(const std::vector<std::string>& args, const std::string& root) {
  if (geteuid() != 0) return Status::unsupported("plan --rehearse needs root (it mounts an overlay in private namespaces)");
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) return Status::io("open /proc/self/exe", errno);
  // A tree on another filesystem than / is not in the overlay of /: it gets one of its own.
  bool root_own_overlay = false;
  if (root != "/") {
    struct stat a, b;
    if (stat(root.c_str(), &a) != 0) return Status::io("stat " + root, errno);
    if (stat("/", &b) != 0) return Status::io("stat /", errno);
    root_own_overlay = a.st_dev != b.st_dev;
  }
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
    if (child == 0) inner(base, root, root_own_overlay, exe, args, cwd);
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
