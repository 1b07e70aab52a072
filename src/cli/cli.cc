#include "cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
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

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Every long and short option name `cmd` and its parents accept ("--policy", "-p").
std::vector<std::string> option_names(const CLI::App* cmd) {
  std::vector<std::string> out;
  for (const CLI::App* a = cmd; a; a = a->get_parent())
    for (const CLI::Option* opt : a->get_options()) {
      for (const auto& n : opt->get_lnames()) out.push_back("--" + n);
      for (const auto& n : opt->get_snames()) out.push_back("-" + n);
    }
  return out;
}

/// Whether the option reads a value: a flag (-v, --no-color) expects none (CLI11 gives a flag a
/// type size of 1 but 0 expected values).
bool takes_value(const CLI::Option& opt) { return opt.get_items_expected_max() > 0; }

/// The option of `cmd` (or a parent: global options fall through) named by `token` ("--x=1" too).
const CLI::Option* find_option(const CLI::App* cmd, const std::string& name) {
  for (const CLI::App* a = cmd; a; a = a->get_parent())
    if (const CLI::Option* opt = a->get_option_no_throw(name)) return opt;
  return nullptr;
}

std::vector<std::string> subcommand_names(const CLI::App* cmd) {
  std::vector<std::string> out;
  for (const CLI::App* sub : const_cast<CLI::App*>(cmd)->get_subcommands([](CLI::App*) { return true; }))
    if (!sub->get_name().empty()) out.push_back(sub->get_name());
  return out;
}

CLI::App* find_subcommand(CLI::App* cmd, const std::string& name) {
  auto found = cmd->get_subcommands([&](CLI::App* sub) { return sub->get_name() == name; });
  return found.empty() ? nullptr : found.front();
}

/// "converge", "supermarket publish": the command's words after "roux".
std::string command_path(const CLI::App* cmd) {
  std::string out;
  for (const CLI::App* a = cmd; a && a->get_parent(); a = a->get_parent())
    out = a->get_name() + (out.empty() ? "" : " " + out);
  return out;
}

/// What is wrong with the command line, said plainly with the nearest right word, or "" when
/// this finds nothing (CLI11's own message is then shown). Walks the words as CLI11 would: the
/// command path first, then each option; an option's value is skipped.
std::string diagnose(CLI::App& app, const std::vector<std::string>& args) {
  CLI::App* cmd = &app;
  bool options_only = false;  // after "--", everything is a positional
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      options_only = true;
      continue;
    }
    if (options_only || a.empty() || a[0] != '-' || a == "-") {
      if (subcommand_names(cmd).empty()) continue;  // a positional of a leaf command
      if (CLI::App* sub = find_subcommand(cmd, a)) {
        cmd = sub;
        continue;
      }
      std::string where = command_path(cmd);
      std::string word = (where.empty() ? "" : where + " ") + a;
      std::string near = nearest_name(a, subcommand_names(cmd));
      return "unknown command '" + word + "'" +
             (near.empty() ? "; `roux help" + (where.empty() ? "" : " " + where) + "` lists the commands"
                           : "; did you mean '" + (where.empty() ? "" : where + " ") + near + "'?");
    }
    std::string name = a.substr(0, a.find('='));
    if (name.rfind("--", 0) != 0 && name.size() > 2) {
      // "-vv", "-n5": a cluster of short flags, or a short option with its value attached.
      const CLI::Option* first = find_option(cmd, name.substr(0, 2));
      if (first && !takes_value(*first)) {
        bool all = true;
        for (size_t k = 2; k < name.size(); ++k) all = all && find_option(cmd, std::string("-") + name[k]);
        if (all) continue;
      }
      if (first) continue;
    }
    const CLI::Option* opt = find_option(cmd, name);
    if (!opt) {
      std::string where = command_path(cmd);
      // "-x": every short option is one letter away; a suggestion would be a guess.
      bool short_option = name.size() == 2 && name[0] == '-' && name[1] != '-';
      std::string near = short_option ? "" : nearest_name(name, option_names(cmd));
      return "unknown option " + name + (where.empty() ? "" : " for '" + where + "'") +
             (near.empty() ? "; `roux help" + (where.empty() ? "" : " " + where) + "` lists the options"
                           : "; did you mean " + near + "?");
    }
    if (takes_value(*opt) && a.find('=') == std::string::npos) ++i;  // its value
  }
  return "";
}

/// The (sub)command the words name: "supermarket mirror" for `supermarket mirror --to x`. An
/// option's value is skipped, so `--policy plan` does not name plan.
CLI::App* command_named_by(CLI::App& app, const std::vector<std::string>& args) {
  CLI::App* cmd = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (!a.empty() && a[0] == '-' && a != "-") {
      const CLI::Option* opt = find_option(cmd, a.substr(0, a.find('=')));
      if (opt && takes_value(*opt) && a.find('=') == std::string::npos) ++i;
      continue;
    }
    CLI::App* sub = find_subcommand(cmd, a);
    if (!sub) break;
    cmd = sub;
  }
  return cmd;
}

/// `roux help [COMMAND...]`: the command list, or one command's options. Unknown words are
/// diagnosed like any command line.
int help(CLI::App& app, const std::vector<std::string>& words) {
  CLI::App* cmd = &app;
  for (const auto& w : words) {
    CLI::App* sub = find_subcommand(cmd, w);
    if (!sub) {
      std::vector<std::string> path(words.begin(), words.begin() + (&w - words.data()) + 1);
      std::string why = diagnose(app, path);
      std::fprintf(stderr, "roux: error: %s\n", escape_controls(why.empty() ? "unknown command '" + w + "'" : why).c_str());
      return kExitNoRun;
    }
    cmd = sub;
  }
  std::cout << cmd->help();
  return kExitClean;
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours
  // ("convrege") each cost 1.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates) {
  // Close enough to read as a typo: a third of the word's letters, at least 1, at most 3.
  std::string w = lower(word);
  size_t letters = w.find_first_not_of('-') == std::string::npos ? 0 : w.size() - w.find_first_not_of('-');
  size_t limit = std::clamp<size_t>(letters / 3, 1, 3);
  std::string best;
  size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(w, lower(c));
    // A prefix ("--pol" for "--policy") is a typo too, when it is long enough to be meant.
    if (d > limit && letters >= 3 && lower(c).rfind(w, 0) == 0) d = limit;
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

/// Every command but converge/plan/verify (add_converge_commands).
void add_other_commands(CLI::App& app, int* exit_code) {
  add_validate_command(app, exit_code);
  add_facts_command(app, exit_code);
  add_secret_commands(app, exit_code);
  add_history_commands(app, exit_code);
  add_lock_commands(app, exit_code);
  add_supermarket_commands(app, exit_code);
  add_doc_commands(app, exit_code);
  add_bootstrap_command(app, exit_code);
  add_policy_group_commands(app, exit_code);
}

int run(int argc, char** argv) {
  // A stopped roux stops what it started: no exec or package manager outlives the run lock.
  install_child_cleanup_on_signals();
  CLI::App app{"roux: converge a host to the state its cookbooks describe.\n"
               "Exit codes: 0 nothing to change, 2 changes (made, or pending in plan), 4 failures,\n"
               "6 changes and failures, 1 could not run (bad input, no source, lock held)."};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("roux ") + kVersion);
  // Verbosity, the same for every command (docs/output.md): messages at or above the level go
  // to stderr; the default is warn, or the client config's log_level: for converge/plan/verify.
  int verbose = 0;
  bool quiet = false;
  std::string log_level;
  app.add_flag("-v,--verbose", verbose, "more messages: -v info (the splay, exec output), -vv debug");
  app.add_flag("-q,--quiet", quiet, "only errors, failed resources and the summary");
  app.add_option("--log-level", log_level, "debug, info, warn (default) or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "warning", "error"}));
  app.parse_complete_callback([&] {
    if (!log_level.empty()) log::set_level_from_command_line(*log::parse_level(log_level));
    else if (verbose >= 2) log::set_level_from_command_line(log::Level::kDebug);
    else if (verbose == 1) log::set_level_from_command_line(log::Level::kInfo);
    else if (quiet) log::set_level_from_command_line(log::Level::kError);
    log::set_quiet(quiet);
  });
  int exit_code = kExitClean;
  add_converge_commands(app, &exit_code);
  // The daily run (converge, plan, verify named first) builds only its own commands: the other
  // thirty take a millisecond to build and tear down, a fortieth of a 1,000-file no-op. Anything
  // else (help, a global option first, a typo) has them all, for help and suggestions.
  const bool daily = argc > 1 && (std::strcmp(argv[1], "converge") == 0 || std::strcmp(argv[1], "plan") == 0 ||
                                  std::strcmp(argv[1], "verify") == 0);
  if (!daily) add_other_commands(app, &exit_code);
  std::set_terminate(on_terminate);
  std::vector<std::string> args(argv + 1, argv + argc);
  // `roux` alone: the command list (and "could not run": nothing was asked).
  if (args.empty()) {
    std::cout << app.help();
    return kExitNoRun;
  }
  if (args.front() == "help") return help(app, {args.begin() + 1, args.end()});
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e) == 0 ? kExitClean : kExitNoRun;
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e) == 0 ? kExitClean : kExitNoRun;
  } catch (const CLI::ParseError& e) {
    // Unknown words are named with the nearest right one; other errors keep CLI11's text.
    if (std::string why = diagnose(app, args); !why.empty()) {
      std::fprintf(stderr, "roux: error: %s\n", escape_controls(why).c_str());
      return kExitNoRun;
    }
    // Any other usage error (a value out of range or not a choice, a missing value, a word
    // too many): CLI11's reason in roux's form, and where the options are listed.
    std::string where = command_path(command_named_by(app, args));
    std::fprintf(stderr, "roux: error: %s; `roux help%s` lists the options\n", escape_controls(e.what()).c_str(),
                 where.empty() ? "" : (" " + where).c_str());
    return kExitNoRun;
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
