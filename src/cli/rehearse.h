#pragma once
// `roux plan --rehearse`: the exact answer when prediction is not enough. The real converge runs
// inside a throwaway copy-on-write overlay of the root (private mount, pid, network, uts and ipc
// namespaces; the upper layer on a tmpfs that dies with them), and its report comes back. The
// host is never written: every change lands in the overlay, which is thrown away.
#include <string>
#include <vector>

#include "base/status.h"

namespace roux::cli {

struct RehearsalRun {
  int exit_code = 0;       // the rehearsed converge's exit code
  std::string report_json; // its JSON report (stdout)
};

/// Runs `roux ARGS...` (this very binary, from /proc/self/exe) chrooted into an overlay of "/"
/// whose upper layer is in memory; every other mounted filesystem (a /tmp tmpfs, the --root
/// tree's own) gets an overlay of its own at the same path. `cwd` is kept. Needs root and namespaces: fails
/// with a message saying so where they are missing.
Result<RehearsalRun> rehearse(const std::vector<std::string>& args, const std::string& root);

}  // namespace roux::cli
