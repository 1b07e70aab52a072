#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace roux {

extern "C" char** environ;

SubprocessOptions shell(std::string command) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", std::move(command)};
  return o;
}

Result<SubprocessResult> run_subprocess(const SubprocessOptions& opts) {
  if (opts.argv.empty()) return Status::internal("run_subprocess: empty argv");
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
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Status::io("pipe", errno);

  pid_t pid = fork();
  if (pid < 0) return Status::io("fork", errno);
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(out_pipe[1], 2);
    signal(SIGPIPE, SIG_DFL);
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
    execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!write(err_pipe[1], &e, sizeof e);
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  int child_errno = 0;
  ssize_t got = read(err_pipe[0], &child_errno, sizeof child_errno);
  close(err_pipe[0]);
  if (got == sizeof child_errno) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    waitpid(pid, nullptr, 0);
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
  auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  char buf[65536];
  bool out_open = true;
  while (out_open) {
    pollfd fds[2];
    int nfds = 0;
    fds[nfds++] = {out_pipe[0], POLLIN, 0};
    if (in_fd >= 0) fds[nfds++] = {in_fd, POLLOUT, 0};
    int wait_ms = -1;
    if (opts.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        res.timed_out = true;
        kill(-pid, SIGKILL);
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    int r = poll(fds, static_cast<nfds_t>(nfds), wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (r == 0) continue;  // deadline check at the loop head
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(out_pipe[0], buf, sizeof buf);
      if (n <= 0) {
        out_open = false;
      } else {
        res.output_bytes += static_cast<size_t>(n);
        size_t room = opts.max_output > res.output.size() ? opts.max_output - res.output.size() : 0;
        res.output.append(buf, std::min(room, static_cast<size_t>(n)));
      }
    }
    if (in_fd >= 0 && nfds > 1 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, opts.stdin_data.data() + written, opts.stdin_data.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) written = opts.stdin_data.size();
      if (written >= opts.stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    res.signal = WTERMSIG(status);
  }
  return res;
}

}  // namespace roux
