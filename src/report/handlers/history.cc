// history handler: STATE/history.jsonl (one line per run, rotated by size) and full reports per
// run under STATE/reports/ with retention.
#include <algorithm>

#include "base/json.h"
#include "base/redact.h"
#include "report/handlers/handlers.h"

namespace roux::report {

Status history_handler(const RunReport& report, const host::Host::Pieces& report_json, const HandlerConfig& cfg,
                       host::Host& host, const std::string& state_dir) {
  std::string line = redact::redact(json_dump(to_history_json(report))) + "\n";
  std::string file = state_dir + "/history.jsonl";
  // Rotate before the line would push the file past max_bytes: history.jsonl -> history.jsonl.1.
  ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(file));
  if (fi.exists() && fi.size + line.size() > cfg.max_bytes) {
    ROUX_TRY(host.copy_file(file, file + ".1", 0600));
    ROUX_TRY(host.remove(file));
  }
  ROUX_TRY(host.append_file(file, line, 0600));
  // A run refused before converging (compile errors, lock) has its errors in the history line
  // and no report to keep: it leaves nothing else in the state folder.
  bool converged = !report.resources.empty() || report.errors.empty();
  // A run that changed nothing and failed nothing (exit 0, the daily no-op) is all in its history
  // line and last_run.json: no per-run report, so the kept ones are runs that did something.
  bool noop = report.exit_code == 0 && report.mode == "apply";
  if (cfg.keep_reports <= 0 || report.run_id.empty() || !converged || noop) return Status::ok();
  std::string dir = state_dir + "/reports";
  ROUX_TRY(host::make_dirs(host, dir, 0700));
  ROUX_TRY(host.write_file_pieces(dir + "/" + report.run_id + ".json", report_json, 0600, std::nullopt, std::nullopt));
  // Retention: run ids sort by time, so the oldest are first.
  ROUX_ASSIGN_OR_RETURN(std::vector<std::string> names, host.list_dir(dir));
  std::vector<std::string> reports;
  for (const auto& n : names)
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0) reports.push_back(n);
  std::sort(reports.begin(), reports.end());
  for (size_t i = 0; i + static_cast<size_t>(cfg.keep_reports) < reports.size(); ++i)
    ROUX_TRY(host.remove(dir + "/" + reports[i]));
  return Status::ok();
}

Status json_file_handler(const std::string& report_json, const HandlerConfig& cfg, host::Host& host) {
  auto path = host::normalize_path(cfg.path);
  if (!path.is_ok()) return path.status();
  // A folder that is not there yet (a fresh --root, /var/log/roux on a new host) is made, owner
  // only, as the state folder is; one that is there keeps its mode.
  if (auto slash = path->rfind('/'); slash != std::string::npos && slash > 0)
    ROUX_TRY(host::make_dirs(host, path->substr(0, slash), 0700));
  return host.write_file(*path, report_json, 0600, std::nullopt, std::nullopt);
}

}  // namespace roux::report
