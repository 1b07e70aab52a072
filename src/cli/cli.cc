#include "cli/cli.h"

#include <cstdio>

#include "base/subprocess.h"
#include "base/version.h"
#include "cli/commands.h"
#include "cli/exit_code.h"

namespace roux::cli {

int run(int argc, char** argv) {
  // A stopped roux stops what it started: no exec or package manager outlives the run lock.
  install_child_cleanup_on_signals();
  CLI::App app{"roux: converge a host to the state its cookbooks describe.\n"
               "Exit codes: 0 nothing to change, 2 changes (made, or pending in plan), 4 failures,\n"
               "6 changes and failures, 1 could not run (bad input, no source, lock held)."};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("roux ") + kVersion);
  int exit_code = kExitClean;
  add_converge_commands(app, &exit_code);
  add_validate_command(app, &exit_code);
  add_facts_command(app, &exit_code);
  add_secret_commands(app, &exit_code);
  add_history_commands(app, &exit_code);
  add_lock_commands(app, &exit_code);
  add_supermarket_commands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 returns 0 for --help/--version; any usage error is "could not run".
    return rc == 0 ? kExitClean : kExitNoRun;
  }
  return exit_code;
}

}  // namespace roux::cli
