#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <initializer_list>

namespace roux {

extern "C" char** environ;

namespace {

// The process groups of the children being run now, for the signal handler: a fixed table of
// lock-free atomics, because a handler may touch nothing else. 0 = free slot.
constexpr int kMaxTracked = 128;
std::atomic<pid_t> g_child_groups[kMaxTracked];
std::atomic<bool> g_stopping{false};

int track_group(pid_t pgid) {
  for (int i = 0; i < kMaxTracked; ++i) {
    pid_t free_slot = 0;
    if (g_child_groups[i].compare_exchange_strong(free_slot, pgid)) return i;
  }
  return -1;  // more children at once than slots: run untracked rather than refuse
}

void untrack_group(int slot) {
  if (slot >= 0) g_child_groups[slot].store(0);
}

/// SIGTERM/SIGINT/SIGHUP: stop the children's groups, then die of the signal. Async-signal-safe:
/// atomics, kill, waitpid, nanosleep, sigaction, raise only.
void on_stop_signal(int sig) {
  int saved_errno = errno;
  if (!g_stopping.exchange(true)) {
    for (auto& g : g_child_groups)
      if (pid_t pg = g.load(); pg > 0) kill(-pg, SIGTERM);
    // Up to 2 s for them to go: reap our own children (a zombie still counts as a member).
    for (int round = 0; round < 40; ++round) {
      bool alive = false;
      for (auto& g : g_child_groups) {
        pid_t pg = g.load();
        if (pg <= 0) continue;
        while (waitpid(-pg, nullptr, WNOHANG) > 0) {
        }
        if (kill(-pg, 0) == 0) alive = true;
      }
      if (!alive) break;
      timespec ts{0, 50 * 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
    for (auto& g : g_child_groups)
      if (pid_t pg = g.load(); pg > 0) kill(-pg, SIGKILL);
  }
  struct sigaction dfl{};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  errno = saved_errno;
  raise(sig);
}

/// Once a stop signal arrived the process is about to die: a thread whose child just ended
/// must not go on to change the host. It waits here for the handler to finish the process.
void park_if_stopping() {
  while (g_stopping.load()) pause();
}

}  // namespace

void install_child_cleanup_on_signals() {
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGTERM);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGHUP);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    struct sigaction old{};
    // An ignored signal stays ignored (nohup).
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sig, &sa, nullptr);
  }
  // A child that exits without reading all its stdin must not kill roux: the write fails (EPIPE).
  signal(SIGPIPE, SIG_IGN);
}

SubprocessOptions shell(std::string command) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", std::move(command)};
  return o;
}

Result<SubprocessResult> run_subprocess(const SubprocessOptions& opts) {
  if (opts.argv.empty()) return Status::internal("run_subprocess: empty argv");
  if (g_stopping.load()) return Status::io_msg("not starting " + opts.argv[0] + ": roux is stopping on a signal");
  int out_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Status::io("pipe", errno);
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    close(out_pipe[0]), close(out_pipe[1]);
    return Status::io("pipe", e);
  }
  // Build argv/envp before fork: the child may only call async-signal-safe functions.
  std::vector<char*> argv;
  for (const auto& a : opts.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (!opts.env.count(key)) env_store.push_back(kv);
  }
  for (const auto& [k, v] : opts.env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  // execvpe looks PATH up in the parent's environment; resolve it the same way here.
  auto close_all = [](std::initializer_list<int> fds) {
    for (int fd : fds) close(fd);
  };
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    close_all({out_pipe[0], out_pipe[1], in_pipe[0], in_pipe[1]});
    return Status::io("pipe", e);
  }

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close_all({out_pipe[0], out_pipe[1], in_pipe[0], in_pipe[1], err_pipe[0], err_pipe[1]});
    return Status::io("fork", e);
  }
  if (pid == 0) {
    // Its own process group: a timeout or a stop signal reaches everything it started.
    setpgid(0, 0);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(out_pipe[1], 2);
    signal(SIGPIPE, SIG_DFL);
    // Not our stop handler in the child (it would signal its siblings' groups); an ignored
    // signal stays ignored (nohup roux: nohup commands).
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
      struct sigaction old{};
      if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == on_stop_signal) signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!opts.cwd.empty() && chdir(opts.cwd.c_str()) != 0) {
      int e = errno;
      (void)!write(err_pipe[1], &e, sizeof e);
      _exit(127);
    }
    if (opts.gid && (setgroups(opts.groups.size(), opts.groups.data()) != 0 || setgid(*opts.gid) != 0)) {
      int e = errno;
      (void)!write(err_pipe[1], &e, sizeof e);
      _exit(127);
    }
    if (opts.uid && setuid(*opts.uid) != 0) {
      int e = errno;
      (void)!write(err_pipe[1], &e, sizeof e);
      _exit(127);
    }
    // Dies with roux even when roux is SIGKILLed. Set after setuid/setgid, which clear it;
    // the getppid check covers a parent that died before the prctl.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!write(err_pipe[1], &e, sizeof e);
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so the group exists before we signal it
  int slot = track_group(pid);
  if (g_stopping.load()) kill(-pid, SIGKILL);  // the handler may have missed the new slot
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  int child_errno = 0;
  ssize_t got;
  do {
    got = read(err_pipe[0], &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  close(err_pipe[0]);
  auto reap = [&](int* status) {
    untrack_group(slot);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
    park_if_stopping();
  };
  if (got == sizeof child_errno) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    reap(nullptr);
    return Status::io(opts.argv[0], child_errno);
  }

  SubprocessResult res;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (opts.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  // The child's exit is watched on a pidfd; without one (old kernel) it is polled every 100 ms.
  int pid_fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto deadline = now() + opts.timeout;
  auto drain_deadline = std::chrono::steady_clock::time_point::max();
  auto ms_until = [&](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t - now()).count();
  };
  char buf[65536];
  bool out_open = true;
  // Until the child exits and its output is read (or the drain bound passes); the timeout holds
  // throughout, also for a child that closed its stdout and runs on.
  while (out_open || !exited) {
    if (opts.timeout.count() > 0 && ms_until(deadline) <= 0) {
      res.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);  // also should the group not exist (the pid is ours until reaped)
      break;
    }
    // The child is gone but something it started still holds the pipe: stop waiting for it.
    if (exited && ms_until(drain_deadline) <= 0) break;
    pollfd fds[3];
    nfds_t nfds = 0;
    int out_idx = -1, in_idx = -1, pid_idx = -1;
    if (out_open) out_idx = static_cast<int>(nfds), fds[nfds++] = {out_pipe[0], POLLIN, 0};
    if (in_fd >= 0) in_idx = static_cast<int>(nfds), fds[nfds++] = {in_fd, POLLOUT, 0};
    if (!exited && pid_fd >= 0) pid_idx = static_cast<int>(nfds), fds[nfds++] = {pid_fd, POLLIN, 0};
    long long wait_ms = -1;
    auto at_most = [&](long long ms) { wait_ms = wait_ms < 0 ? ms : std::min(wait_ms, ms); };
    if (opts.timeout.count() > 0) at_most(std::max<long long>(1, ms_until(deadline)));
    if (exited) at_most(std::max<long long>(1, ms_until(drain_deadline)));
    if (!exited && pid_fd < 0) at_most(100);
    int r = poll(fds, nfds, static_cast<int>(wait_ms));
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (out_idx >= 0 && (fds[out_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(out_pipe[0], buf, sizeof buf);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        out_open = false;
      } else {
        res.output_bytes += static_cast<size_t>(n);
        size_t room = opts.max_output > res.output.size() ? opts.max_output - res.output.size() : 0;
        res.output.append(buf, std::min(room, static_cast<size_t>(n)));
        if (opts.on_output) opts.on_output(std::string_view(buf, static_cast<size_t>(n)));
      }
    }
    if (in_idx >= 0 && in_fd >= 0 && (fds[in_idx].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, opts.stdin_data.data() + written, opts.stdin_data.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = opts.stdin_data.size();
      if (written >= opts.stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    if (!exited && (pid_idx < 0 || fds[pid_idx].revents)) {
      // Exited? Asked without reaping: the pid (and so its group) stays ours until waitpid.
      siginfo_t info{};
      if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
        exited = true;
        drain_deadline = now() + kSubprocessDrain;
        if (in_fd >= 0) close(in_fd), in_fd = -1;  // nobody left to read the rest of stdin
      }
    }
  }
  if (pid_fd >= 0) close(pid_fd);
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  int status = 0;
  reap(&status);
  if (WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    res.signal = WTERMSIG(status);
  }
  return res;
}

}  // namespace roux
