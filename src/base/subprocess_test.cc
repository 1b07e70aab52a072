#include "base/subprocess.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <thread>

namespace roux {
namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

TEST_CASE("run_subprocess: output, exit code, stdin") {
  SubprocessOptions o = shell("read x; echo got $x; exit 3");
  o.stdin_data = "hello\n";
  auto r = run_subprocess(o);
  REQUIRE(r.is_ok());
  CHECK(r->exit_code == 3);
  CHECK(r->output == "got hello\n");
}

TEST_CASE("run_subprocess: a background child holding stdout does not hold the call") {
  // Regression: `daemon & echo started` used to block until the daemon exited.
  auto t0 = Clock::now();
  auto r = run_subprocess(shell("sleep 30 & echo $! ; echo started"));
  REQUIRE(r.is_ok());
  CHECK(seconds_since(t0) < 15);
  CHECK(r->exit_code == 0);
  CHECK(r->output.find("started") != std::string::npos);
  pid_t bg = static_cast<pid_t>(std::stol(r->output));
  CHECK(kill(bg, 0) == 0);  // left running: it is what the command asked for
  kill(bg, SIGKILL);
}

TEST_CASE("run_subprocess: a child that ignores its stdin does not kill the caller (EPIPE, not SIGPIPE)") {
  install_child_cleanup_on_signals();  // ignores SIGPIPE, as roux does
  SubprocessOptions o = shell("exit 0");
  o.stdin_data = std::string(4 << 20, 'x');
  auto r = run_subprocess(o);
  REQUIRE(r.is_ok());
  CHECK(r->exit_code == 0);
}

TEST_CASE("run_subprocess: the timeout holds for a child that closed its output") {
  auto t0 = Clock::now();
  SubprocessOptions o = shell("exec >/dev/null 2>&1; sleep 30");
  o.timeout = std::chrono::milliseconds(300);
  auto r = run_subprocess(o);
  REQUIRE(r.is_ok());
  CHECK(r->timed_out);
  CHECK(seconds_since(t0) < 15);
}

TEST_CASE("run_subprocess: the timeout kills the whole process group") {
  auto t0 = Clock::now();
  SubprocessOptions o = shell("sleep 30 & echo $!; sleep 30");
  o.timeout = std::chrono::milliseconds(300);
  auto r = run_subprocess(o);
  REQUIRE(r.is_ok());
  CHECK(r->timed_out);
  CHECK(seconds_since(t0) < 15);
  pid_t bg = static_cast<pid_t>(std::stol(r->output));
  // The background sleep was in the group: gone (at most a zombie waiting for its reaper).
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    std::string stat_path = "/proc/" + std::to_string(bg) + "/stat";
    FILE* f = std::fopen(stat_path.c_str(), "re");
    if (!f) {
      gone = true;
      break;
    }
    char line[512] = {};
    (void)!std::fgets(line, sizeof line, f);
    std::fclose(f);
    std::string s = line;
    size_t rp = s.rfind(')');
    if (rp != std::string::npos && rp + 2 < s.size() && (s[rp + 2] == 'Z' || s[rp + 2] == 'X')) gone = true;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(gone);
}

}  // namespace roux
