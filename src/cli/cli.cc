#include "cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <new>

#include "base/subprocess.h"
#include "base/version.h"
#include "cli/commands.h"
#include "cli/exit_code.h"

namespace roux::cli {
namespace {

/// The last guard. A crash is a defect, never an answer: an exception that escapes a command
/// (or a worker thread, through std::terminate) ends the run with a message and exit 1 ("could
/// not run"), not an abort with no report. Errors are Status values everywhere; reaching this is
/// a bug to fix, and the message says so.
[[noreturn]] void on_terminate() {
  const char* what = "unknown exception";
  try {
    if (auto e = std::current_exception()) std::rethrow_exception(e);
    what = "std::terminate called without an exception";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roux: internal error (a bug, please report it): %s\n", e.what());
    std::fflush(stderr);
    _exit(kExitNoRun);
  } catch (...) {
  }
  std::fprintf(stderr, "roux: internal error (a bug, please report it): %s\n", what);
  std::fflush(stderr);
  _exit(kExitNoRun);
}

}  // namespace

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
  add_doc_commands(app, &exit_code);
  add_bootstrap_command(app, &exit_code);
  std::set_terminate(on_terminate);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 returns 0 for --help/--version; any usage error is "could not run".
    return rc == 0 ? kExitClean : kExitNoRun;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "roux: error: out of memory\n");
    return kExitNoRun;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roux: internal error (a bug, please report it): %s\n", e.what());
    return kExitNoRun;
  }
  return exit_code;
}

}  // namespace roux::cli
