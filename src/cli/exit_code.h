#pragma once

namespace roux::cli {

/// Exit codes: always "detailed" (Puppet's --detailed-exitcodes), plan included.
enum ExitCode : int {
  kExitClean = 0,      // nothing to change
  kExitNoRun = 1,      // could not run: bad input, no source, lock held
  kExitChanges = 2,    // changes made (plan: changes pending)
  kExitFailures = 4,   // some resources failed
  kExitBoth = 6,       // changes and failures
};

}  // namespace roux::cli
