// roux history: the runs recorded in the state folder; roux report RUN_ID: one of them in full.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

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
  std::cerr << "roux: error: " << s.to_string() << "\n";
  return kExitNoRun;
}

int history(const HistoryOptions& o) {
  auto host = host::make_posix_host(o.root);
  if (!host.is_ok()) return fail(host.status());
  std::vector<nlohmann::json> runs;
  // The rotated file holds older runs; read it first so the listing stays in time order.
  for (const char* suffix : {".1", ""}) {
    auto text = (**host).read_file(o.state_dir + "/history.jsonl" + suffix);
    if (!text.is_ok()) continue;
    for (const auto& line : split_lines(*text)) {
      if (trim(line).empty()) continue;
      try {
        runs.push_back(nlohmann::json::parse(line));
      } catch (const nlohmann::json::exception&) {
        // A torn last line (a run killed mid-append) is skipped, not fatal.
      }
    }
  }
  size_t first = runs.size() > static_cast<size_t>(o.limit) ? runs.size() - o.limit : 0;
  if (o.format == "json") {
    nlohmann::json a = nlohmann::json::array();
    for (size_t i = first; i < runs.size(); ++i) a.push_back(runs[i]);
    std::cout << a.dump(2) << "\n";
    return kExitClean;
  }
  if (runs.empty()) {
    std::cout << "no runs recorded in " << o.state_dir << "/history.jsonl\n";
    return kExitClean;
  }
  std::printf("%-28s %-6s %4s %7s %6s %9s  %s\n", "RUN_ID", "MODE", "EXIT", "CHANGED", "FAILED", "SECONDS", "POLICY");
  for (size_t i = first; i < runs.size(); ++i) {
    const auto& r = runs[i];
    auto t = r.value("totals", nlohmann::json::object());
    int changed = t.value("changed", 0) + t.value("would_change", 0);
    std::printf("%-28s %-6s %4d %7d %6d %9.3f  %s\n", r.value("run_id", "?").c_str(), r.value("mode", "?").c_str(),
                r.value("exit_code", -1), changed, t.value("failed", 0), r.value("duration_ms", 0.0) / 1000.0,
                r.value("policy", "").c_str());
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
  if (o.format == "json") {
    std::cout << r.dump(2) << "\n";
    return kExitClean;
  }
  std::cout << "run " << r.value("run_id", "") << " (" << r.value("mode", "") << ") policy " << r.value("policy", "")
            << " on " << r.value("hostname", "") << "\n"
            << "started " << r.value("start_time", "") << ", " << r.value("duration_ms", 0.0) / 1000.0
            << " s, exit " << r.value("exit_code", -1) << "\n";
  for (const auto& e : r.value("errors", nlohmann::ordered_json::array())) std::cout << "error: " << e.get<std::string>() << "\n";
  for (const auto& res : r.value("resources", nlohmann::ordered_json::array())) {
    std::string status = res.value("status", "");
    if (status == "unchanged") continue;
    std::cout << "  " << res.value("id", "") << ": " << status;
    if (res.contains("error")) std::cout << ": " << res["error"].get<std::string>();
    if (res.contains("skip_reason")) std::cout << ": " << res["skip_reason"].get<std::string>();
    std::cout << "\n";
    for (const auto& c : res.value("changes", nlohmann::ordered_json::array())) {
      std::string before = c.value("before", "");
      std::cout << "      " << c.value("property", "") << ": " << (before.empty() ? "" : one_line(before, 80) + " -> ")
                << one_line(c.value("after", ""), 120) << "\n";
    }
  }
  for (const auto& v : r.value("verify", nlohmann::ordered_json::array()))
    std::cout << "  verify " << v.value("name", "") << ": " << v.value("status", "")
              << (v.contains("message") ? ": " + v["message"].get<std::string>() : "") << "\n";
  auto t = r.value("totals", nlohmann::ordered_json::object());
  std::cout << t.value("changed", 0) + t.value("would_change", 0) << " changed, " << t.value("unchanged", 0)
            << " unchanged, " << t.value("failed", 0) << " failed, " << t.value("skipped", 0) << " skipped\n";
  return kExitClean;
}

}  // namespace

void add_history_commands(CLI::App& app, int* exit_code) {
  auto* ho = new HistoryOptions();  // lives as long as the app's callbacks
  auto* hist = app.add_subcommand("history", "list the recorded runs (newest last)");
  add_options(hist, ho);
  hist->add_option("-n,--limit", ho->limit, "show the last N runs (default 20)");
  hist->callback([ho, exit_code] { *exit_code = history(*ho); });

  auto* ro = new HistoryOptions();
  auto* rep = app.add_subcommand("report", "show the full report of one recorded run");
  add_options(rep, ro);
  rep->add_option("run_id", ro->run_id, "a RUN_ID from `roux history`")->required();
  rep->callback([ro, exit_code] { *exit_code = show_report(*ro); });
}

}  // namespace roux::cli
