#pragma once
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
};

/// What a finished child did.
struct SubprocessResult {
  int exit_code = -1;         // -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  std::string output;         // stdout and stderr interleaved, cut at max_output
  size_t output_bytes = 0;    // total produced
};

/// Runs a child to completion. Fails only when the child cannot be started (fork/exec/pipe
/// errors); a non-zero exit is a successful Result with exit_code set. Thread-safe.
Result<SubprocessResult> run_subprocess(const SubprocessOptions& opts);

/// Convenience: `/bin/sh -c command`.
SubprocessOptions shell(std::string command);

}  // namespace roux
