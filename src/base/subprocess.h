#pragma once
#include <functional>
#include <string_view>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace roux {

/// How to start a child process. The zero value runs argv with the parent's environment.
struct SubprocessOptions {
  std::vector<std::string> argv;                 // argv[0] is looked up in PATH
  std::map<std::string, std::string> env;        // added to (or replacing in) the environment
  std::string cwd;                               // empty: inherit
  std::string stdin_data;                        // written to the child's stdin, then closed
  std::chrono::milliseconds timeout{0};          // 0: no limit; on expiry the group is killed
  size_t max_output = 1 << 20;                   // bytes of stdout+stderr kept (rest counted)
  std::optional<uid_t> uid;                      // drop to this uid/gid before exec
  std::optional<gid_t> gid;
  std::vector<gid_t> groups;                     // supplementary groups with gid (else none)
  /// Called with each piece of output as it is read (stdout and stderr interleaved; pieces, not
  /// lines), on the calling thread; may be empty. Everything is still kept in the result.
  std::function<void(std::string_view)> on_output;
};

/// What a finished child did.
struct SubprocessResult {
  int exit_code = -1;         // -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  std::string output;         // stdout and stderr interleaved, cut at max_output
  size_t output_bytes = 0;    // total produced
};

/// After the child exits, how long output is still read from processes it left behind holding
/// its stdout/stderr (`daemon &`): then the pipe is closed and the run goes on without them.
constexpr std::chrono::milliseconds kSubprocessDrain{1500};

/// Runs a child to completion. Fails only when the child cannot be started (fork/exec/pipe
/// errors); a non-zero exit is a successful Result with exit_code set. Thread-safe.
///
/// The child leads its own process group and dies with the thread that started it
/// (PR_SET_PDEATHSIG). The call returns when the child has exited and its output is drained:
/// output is read until every writer closes the pipe, but at most kSubprocessDrain after the
/// child itself exited, so a background process that keeps stdout open cannot hang roux.
/// On timeout the whole process group is killed (SIGKILL).
Result<SubprocessResult> run_subprocess(const SubprocessOptions& opts);

/// Convenience: `/bin/sh -c command`.
SubprocessOptions shell(std::string command);

/// Installs handlers for SIGTERM, SIGINT and SIGHUP that, before the process dies of the
/// signal, send SIGTERM to the process group of every child run_subprocess is running, give
/// them up to 2 s to exit, SIGKILL what is left, then re-raise the signal (so the exit status
/// still says "killed by SIGTERM"). No new child starts once a signal arrived. Also ignores
/// SIGPIPE (a child that leaves its stdin unread gives EPIPE, not roux's death). Call once, early.
void install_child_cleanup_on_signals();

}  // namespace roux
