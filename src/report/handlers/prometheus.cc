// prometheus handler: node-exporter textfile collector metrics, written atomically.
#include <cstdio>
#include <ctime>

#include "base/redact.h"
#include "report/handlers/handlers.h"

namespace roux::report {
namespace {

/// Label values escape backslash, double quote and newline.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

}  // namespace

std::string prometheus_text(const RunReport& report) {
  std::string policy = "policy=\"" + label(report.policy) + "\"";
  char buf[64];
  std::string out;
  out += "# HELP roux_last_run_timestamp_seconds Unix time the last roux run ended.\n";
  out += "# TYPE roux_last_run_timestamp_seconds gauge\n";
  std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::time(nullptr)));
  out += "roux_last_run_timestamp_seconds{" + policy + "} " + buf + "\n";
  out += "# HELP roux_last_run_duration_seconds Wall time of the last roux run.\n";
  out += "# TYPE roux_last_run_duration_seconds gauge\n";
  std::snprintf(buf, sizeof buf, "%.3f", report.duration_ms / 1000.0);
  out += "roux_last_run_duration_seconds{" + policy + "} " + buf + "\n";
  out += "# HELP roux_last_run_success 1 when the last run had no failure (exit 0 or 2), else 0.\n";
  out += "# TYPE roux_last_run_success gauge\n";
  bool ok = report.exit_code == 0 || report.exit_code == 2;
  out += "roux_last_run_success{" + policy + "} " + (ok ? "1" : "0") + "\n";
  out += "# HELP roux_last_run_exit_code Exit code of the last roux run.\n";
  out += "# TYPE roux_last_run_exit_code gauge\n";
  out += "roux_last_run_exit_code{" + policy + "} " + std::to_string(report.exit_code) + "\n";
  out += "# HELP roux_last_run_partial 1 when the last run was targeted (--only, --tags): its counts cover the selection only.\n";
  out += "# TYPE roux_last_run_partial gauge\n";
  out += "roux_last_run_partial{" + policy + "} " + (report.selection.is_null() ? "0" : "1") + "\n";
  out += "# HELP roux_resources Resources of the last run by status.\n";
  out += "# TYPE roux_resources gauge\n";
  const Totals& t = report.totals;
  const std::pair<const char*, int> rows[] = {{"changed", t.changed}, {"would_change", t.would_change},
                                             {"unchanged", t.unchanged}, {"failed", t.failed},
                                             {"skipped", t.skipped}};
  for (const auto& [status, n] : rows)
    out += "roux_resources{" + policy + ",status=\"" + status + "\"} " + std::to_string(n) + "\n";
  int vfail = 0;
  for (const auto& v : report.verify) vfail += v.status == "failed";
  out += "# HELP roux_verify_checks Verify checks of the last run by status.\n";
  out += "# TYPE roux_verify_checks gauge\n";
  out += "roux_verify_checks{" + policy + ",status=\"passed\"} " + std::to_string(report.verify.size() - vfail) + "\n";
  out += "roux_verify_checks{" + policy + ",status=\"failed\"} " + std::to_string(vfail) + "\n";
  return out;
}

Status prometheus_handler(const RunReport& report, const HandlerConfig& cfg, host::Host& host) {
  auto dir = host::normalize_path(cfg.path);
  if (!dir.is_ok()) return dir.status();
  // node-exporter reads *.prom only; write_file renames a temp file into place, so a scrape
  // never sees half a file.
  return host.write_file(*dir + "/roux.prom", redact::redact(prometheus_text(report)), 0644, std::nullopt, std::nullopt);
}

}  // namespace roux::report
