// roux history: the runs recorded in the state folder; roux report RUN_ID: one of them in full.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/json.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "host/host.h"

namespace roux::cli {
namespace {

struct HistoryOptions {
  std::string root = "/";
  std::string state_dir = "/var/lib/roux";
  std::string format = "text";
  std::string run_id;
  int limit = 20;
};

void add_options(CLI::App* cmd, HistoryOptions* o) {
  cmd->add_option("--root", o->root, "the managed root (as given to converge)");
  cmd->add_option("--state-dir", o->state_dir, "state folder inside the root (default /var/lib/roux)");
  cmd->add_option("--format", o->format, "output format")->check(CLI::IsMember({"text", "json"}));
}

int fail(const Status& s) {
  std::cerr << "roux: error: " << escape_controls(s.to_string()) << "\n";
  return kExitNoRun;
}

int history(const HistoryOptions& o) {
  auto host = host::make_posix_host(o.root);
  if (!host.is_ok()) return fail(host.status());
  std::vector<nlohmann::json> runs;
  size_t skipped = 0;
  // The rotated file holds older runs; read it first so the listing stays in time order.
  for (const char* suffix : {".1", ""}) {
    auto text = (**host).read_file(o.state_dir + "/history.jsonl" + suffix);
    if (!text.is_ok()) continue;
    for (const auto& line : split_lines(*text)) {
      if (trim(line).empty()) continue;
      // A torn last line (a run killed mid-append), or any line that is not a run's object, is
      // skipped with a note, never fatal: the history is roux's own record, not user input.
      auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object()) runs.push_back(std::move(j));
      else ++skipped;
    }
  }
  if (skipped > 0)
    std::cerr << "roux: warning: " << o.state_dir << "/history.jsonl: skipped " << skipped
              << " unreadable line" << (skipped == 1 ? "" : "s") << "\n";
  size_t first = runs.size() > static_cast<size_t>(o.limit) ? runs.size() - o.limit : 0;
  if (o.format == "json") {
    nlohmann::json a = nlohmann::json::array();
    for (size_t i = first; i < runs.size(); ++i) a.push_back(runs[i]);
    std::cout << json_dump(a, 2) << "\n";
    return kExitClean;
  }
  if (runs.empty()) {
    std::cout << "no runs recorded in " << o.state_dir << "/history.jsonl\n";
    return kExitClean;
  }
  std::printf("%-28s %-6s %4s %7s %6s %9s  %s\n", "RUN_ID", "MODE", "EXIT", "CHANGED", "FAILED", "SECONDS", "POLICY");
  for (size_t i = first; i < runs.size(); ++i) {
    const auto& r = runs[i];
    // Field by field, each of the type it should be or a placeholder: a line written by another
    // version, or edited, prints as far as it makes sense.
    auto t = json_object(r, "totals");
    int changed = json_int(t, "changed") + json_int(t, "would_change");
    std::printf("%-28s %-6s %4d %7d %6d %9.3f  %s\n", escape_controls(json_string(r, "run_id", "?")).c_str(),
                escape_controls(json_string(r, "mode", "?")).c_str(), json_int(r, "exit_code", -1), changed,
                json_int(t, "failed"), json_number(r, "duration_ms") / 1000.0,
                escape_controls(json_string(r, "policy")).c_str());
  }
  return kExitClean;
}

int show_report(const HistoryOptions& o) {
  if (o.run_id.empty() || o.run_id.find('/') != std::string::npos || o.run_id.find("..") != std::string::npos)
    return fail(Status::invalid_input("report: expected a RUN_ID as `roux history` lists it"));
  auto host = host::make_posix_host(o.root);
  if (!host.is_ok()) return fail(host.status());
  std::string file = o.state_dir + "/reports/" + o.run_id + ".json";
  auto text = (**host).read_file(file);
  if (!text.is_ok())
    return fail(Status::not_found("no report for run " + o.run_id + " (" + file +
                                  "; reports are kept for the newest runs only)"));
  nlohmann::ordered_json r;
  try {
    r = nlohmann::ordered_json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    return fail(Status::invalid_input(file + ": " + e.what()));
  }
  if (!r.is_object()) return fail(Status::invalid_input(file + ": not a run report (expected a JSON object)"));
  if (o.format == "json") {
    std::cout << json_dump(r, 2) << "\n";
    return kExitClean;
  }
  // Every field is read for the type it should have (a placeholder otherwise): a report from
  // another version, or edited, is shown as far as it makes sense and never stops the command.
  // Text from the report goes through escape_controls: it may hold a command's raw output.
  auto text_of = [](const nlohmann::ordered_json& j, const char* key) { return escape_controls(json_string(j, key)); };
  std::cout << "run " << text_of(r, "run_id") << " (" << text_of(r, "mode") << ") policy " << text_of(r, "policy")
            << " on " << text_of(r, "hostname") << "\n"
            << "started " << text_of(r, "start_time") << ", " << json_number(r, "duration_ms") / 1000.0 << " s, exit "
            << json_int(r, "exit_code", -1) << "\n";
  for (const auto& e : json_array(r, "errors"))
    if (e.is_string()) std::cout << "error: " << escape_controls(e.get<std::string>()) << "\n";
  for (const auto& res : json_array(r, "resources")) {
    std::string status = json_string(res, "status");
    if (status == "unchanged" || !res.is_object()) continue;
    std::cout << "  " << text_of(res, "id") << ": " << escape_controls(status);
    if (res.contains("error")) std::cout << ": " << text_of(res, "error");
    if (res.contains("skip_reason")) std::cout << ": " << text_of(res, "skip_reason");
    std::cout << "\n";
    for (const auto& c : json_array(res, "changes")) {
      std::string before = json_string(c, "before");
      std::cout << "      " << text_of(c, "property") << ": "
                << (before.empty() ? "" : escape_controls(one_line(before, 80)) + " -> ")
                << escape_controls(one_line(json_string(c, "after"), 120)) << "\n";
    }
  }
  for (const auto& v : json_array(r, "verify"))
    std::cout << "  verify " << text_of(v, "name") << ": " << text_of(v, "status")
              << (json_string(v, "message").empty() ? "" : ": " + text_of(v, "message")) << "\n";
  auto t = json_object(r, "totals");
  std::cout << json_int(t, "changed") + json_int(t, "would_change") << " changed, " << json_int(t, "unchanged")
            << " unchanged, " << json_int(t, "failed") << " failed, " << json_int(t, "skipped") << " skipped\n";
  return kExitClean;
}

}  // namespace

void add_history_commands(CLI::App& app, int* exit_code) {
  auto* ho = new HistoryOptions();  // lives as long as the app's callbacks
  auto* hist = app.add_subcommand("history", "list the recorded runs (newest last)");
  add_options(hist, ho);
  hist->add_option("--limit", ho->limit, "show the last N runs (default 20)");
  // -n means --dry-run everywhere else (converge -n, as in make and ninja). `history -n N` still
  // works, hidden and with a warning, so existing scripts keep running.
  auto* old_n = hist->add_option("-n", ho->limit, "")->group("");
  hist->callback([ho, exit_code, old_n] {
    if (old_n->count() > 0) std::cerr << "roux: warning: history -n N is deprecated (-n means --dry-run); use --limit N\n";
    *exit_code = history(*ho);
  });

  auto* ro = new HistoryOptions();
  auto* rep = app.add_subcommand("report", "show the full report of one recorded run");
  add_options(rep, ro);
  rep->add_option("run_id", ro->run_id, "a RUN_ID from `roux history`")->required();
  rep->callback([ro, exit_code] { *exit_code = show_report(*ro); });
}

}  // namespace roux::cli
