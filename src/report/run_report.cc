#include "report/run_report.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>

#include "base/json.h"
#include "base/redact.h"
#include "base/strings.h"

namespace roux::report {
namespace {

/// Each text with every known secret masked (report values are redacted before serialisation;
/// the serialised text is redacted again, escaped forms included, as defence in depth).
std::vector<std::string> redacted(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(redact::redact(t));
  return out;
}

}  // namespace

std::string now_iso8601() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm utc;
  gmtime_r(&tv.tv_sec, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long>(tv.tv_usec / 1000));
  return buf;
}

void add_graph(RunReport& report, const engine::Graph& graph) {
  report.resources.reserve(report.resources.size() + graph.nodes().size());
  for (const auto& n : graph.nodes()) {
    if (!n->selected) continue;  // a targeted run reports only what it selected
    ResourceReport r;
    r.type = std::string(n->resource->type());
    r.name = redact::redact(n->resource->name());
    r.id = redact::redact(n->resource->id());
    r.status = engine::status_name(n->status);
    // Redacted here, at the source, before any serialisation or display cuts a value short:
    // every text that leaves roux is built from these fields.
    r.changes = n->changes;
    for (auto& c : r.changes) {
      c.before = redact::redact(c.before);
      c.after = redact::redact(c.after);
      c.diff = redact::redact(c.diff);
    }
    r.duration_ms = n->duration_ms;
    r.error = redact::redact(n->error);
    r.skip_reason = redact::redact(n->skip_reason);
    r.output = redact::redact(n->output);
    r.notified_by = redacted(n->notified_by);
    r.undelivered_notifications = redacted(n->undelivered);
    r.cookbook = n->resource->meta().cookbook;
    r.recipe = n->resource->meta().recipe;
    r.composite = n->resource->meta().composite;
    r.sensitive = n->resource->meta().sensitive || n->resource->is_always_sensitive();
    r.failure_ignored = n->failure_ignored;
    Totals& t = report.totals;
    ++t.total;
    switch (n->status) {
      case engine::NodeStatus::kChanged: ++t.changed; break;
      case engine::NodeStatus::kWouldChange: ++t.would_change; break;
      case engine::NodeStatus::kUnchanged: ++t.unchanged; break;
      case engine::NodeStatus::kFailed: ++t.failed; break;
      case engine::NodeStatus::kSkipped: ++t.skipped; break;
      case engine::NodeStatus::kPending: break;
    }
    report.resources.push_back(std::move(r));
  }
  report.exit_code = compute_exit_code(report);
}

int compute_exit_code(const RunReport& report) {
  if (!report.errors.empty()) return 1;
  int code = 0;
  if (report.totals.changed + report.totals.would_change > 0) code |= 2;
  for (const auto& r : report.resources)
    if (r.status == "failed" && !r.failure_ignored) code |= 4;
  for (const auto& v : report.verify)
    if (v.status == "failed") code |= 4;
  return code;
}

namespace {

nlohmann::ordered_json changes_json(const std::vector<engine::Change>& changes) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& c : changes) {
    nlohmann::ordered_json j{{"property", c.property}, {"before", c.before}, {"after", c.after}};
    if (!c.diff.empty()) j["diff"] = c.diff;
    if (c.predicted) j["predicted"] = true;
    a.push_back(std::move(j));
  }
  return a;
}

nlohmann::ordered_json totals_json(const Totals& t) {
  return {{"total", t.total},     {"changed", t.changed}, {"would_change", t.would_change},
          {"unchanged", t.unchanged}, {"failed", t.failed},   {"skipped", t.skipped}};
}

/// The report's fields before "resources", in schema order.
nlohmann::ordered_json header_json(const RunReport& report) {
  nlohmann::ordered_json j;
  j["run_id"] = report.run_id;
  j["roux_version"] = report.roux_version;
  j["mode"] = report.mode;
  j["policy"] = report.policy;
  j["policy_file"] = report.policy_file;
  j["root"] = report.root;
  j["hostname"] = report.hostname;
  j["start_time"] = report.start_time;
  j["end_time"] = report.end_time;
  j["duration_ms"] = report.duration_ms;
  if (!report.phases_ms.empty()) {
    j["phases_ms"] = nlohmann::ordered_json::object();
    for (const auto& [phase, ms] : report.phases_ms) j["phases_ms"][phase] = ms;
  }
  j["exit_code"] = report.exit_code;
  j["totals"] = totals_json(report.totals);
  j["cookbooks"] = nlohmann::ordered_json::array();
  for (const auto& c : report.cookbooks)
    j["cookbooks"].push_back({{"name", c.name}, {"version", c.version}, {"source", c.source}});
  j["errors"] = redacted(report.errors);
  if (!report.rehearsal.is_null()) j["rehearsal"] = report.rehearsal;
  if (!report.selection.is_null()) j["selection"] = report.selection;
  if (!report.saved_plan.is_null()) j["saved_plan"] = report.saved_plan;
  return j;
}

nlohmann::ordered_json resource_json(const ResourceReport& r) {
  nlohmann::ordered_json o{{"type", r.type},   {"name", r.name},         {"id", r.id},
                           {"status", r.status}, {"duration_ms", r.duration_ms}, {"changes", changes_json(r.changes)}};
  if (!r.cookbook.empty()) o["cookbook"] = r.cookbook, o["recipe"] = r.recipe;
  if (!r.composite.empty()) o["composite"] = r.composite;
  if (r.sensitive) o["sensitive"] = true;
  if (!r.error.empty()) o["error"] = r.error;
  if (r.failure_ignored) o["failure_ignored"] = true;
  if (!r.skip_reason.empty()) o["skip_reason"] = r.skip_reason;
  if (!r.output.empty()) o["output"] = r.output;
  if (!r.notified_by.empty()) o["notified_by"] = r.notified_by;
  if (!r.undelivered_notifications.empty()) o["undelivered_notifications"] = r.undelivered_notifications;
  return o;
}

nlohmann::ordered_json verify_json(const std::vector<engine::VerifyResult>& results) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& v : results) {
    nlohmann::ordered_json o{{"name", redact::redact(v.name)}, {"kind", v.kind}, {"target", redact::redact(v.target)},
                             {"status", v.status},     {"attempts", v.attempts}, {"duration_ms", v.duration_ms}};
    if (!v.message.empty()) o["message"] = redact::redact(v.message);
    if (!v.where.empty()) o["where"] = v.where;
    a.push_back(std::move(o));
  }
  return a;
}

}  // namespace

std::string report_json_text(const RunReport& report, bool list_unchanged) {
  // The same document as to_json(report).dump(), written one resource at a time: a report of
  // 10,000 resources never exists as one JSON tree (that tree cost a no-op run a fifth of its time).
  std::string out = json_dump(header_json(report));
  out.pop_back();  // the header object's closing brace: the document goes on
  out += ",\"resources\":[";
  size_t listed = 0, not_listed = 0;
  for (const auto& r : report.resources) {
    if (!list_unchanged && r.status == "unchanged" && r.error.empty() && r.output.empty()) {
      ++not_listed;
      continue;
    }
    if (listed++ > 0) out += ',';
    out += json_dump(resource_json(r));
  }
  out += "]";
  if (!list_unchanged) out += ",\"unchanged_not_listed\":" + std::to_string(not_listed);
  out += ",\"verify\":";
  out += json_dump(verify_json(report.verify));
  out += "}";
  return redact::redact(out) + "\n";
}

nlohmann::ordered_json to_json(const RunReport& report) {
  nlohmann::ordered_json j = header_json(report);
  j["resources"] = nlohmann::ordered_json::array();
  for (const auto& r : report.resources) j["resources"].push_back(resource_json(r));
  j["verify"] = verify_json(report.verify);
  return j;
}

nlohmann::ordered_json to_history_json(const RunReport& report) {
  nlohmann::ordered_json j;
  j["run_id"] = report.run_id;
  j["mode"] = report.mode;
  j["policy"] = report.policy;
  j["start_time"] = report.start_time;
  j["duration_ms"] = report.duration_ms;
  j["exit_code"] = report.exit_code;
  j["totals"] = totals_json(report.totals);
  nlohmann::ordered_json changed = nlohmann::ordered_json::array(), failed = nlohmann::ordered_json::array();
  for (const auto& r : report.resources) {
    if (r.status == "changed" || r.status == "would_change") changed.push_back(r.id);
    if (r.status == "failed") failed.push_back(r.id);
  }
  j["changed"] = changed;
  for (const auto& v : report.verify)
    if (v.status == "failed") failed.push_back("verify " + v.name);
  j["failed"] = failed;
  j["errors"] = redacted(report.errors);
  // A targeted run is partial: whoever reads the history must not take it for the whole host.
  if (!report.selection.is_null()) j["selection"] = report.selection;
  if (!report.saved_plan.is_null()) j["saved_plan"] = report.saved_plan;
  return j;
}

std::string format_text(const RunReport& report, bool color) {
  auto paint = [&](const char* code, const std::string& s) {
    return color ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  };
  // Text from the host (a command's output in an error, a file's bytes in a diff, a path) is
  // written byte for byte, UTF-8 or not, except control characters (escape_controls): a line of
  // output must not be able to drive the terminal it is read on.
  auto esc = [](std::string_view s) { return escape_controls(s); };
  std::string out;
  for (const auto& e : report.errors) out += paint("31", "error: ") + esc(redact::redact(e)) + "\n";
  for (const auto& r : report.resources) {
    if (r.status == "unchanged") continue;
    if (r.status == "skipped" && r.skip_reason.rfind("dependency ", 0) != 0) {
      out += paint("2", "  - " + esc(r.id) + ": skipped: " + esc(r.skip_reason)) + "\n";
      continue;
    }
    if (r.status == "skipped") {
      out += paint("33", "  - " + esc(r.id) + ": skipped: " + esc(r.skip_reason)) + "\n";
      continue;
    }
    if (r.status == "failed") {
      out += paint("31", "  ! " + esc(r.id) + ": failed" + (r.failure_ignored ? " (ignored)" : "") + ": " + esc(r.error)) + "\n";
    } else {
      const char* mark = r.status == "changed" ? "32" : "33";
      out += paint(mark, "  ~ " + esc(r.id)) + (r.notified_by.empty() ? "" : "  (notified by " + esc(join(r.notified_by, ", ")) + ")") + "\n";
    }
    for (const auto& c : r.changes) {
      std::string before = c.before.empty() ? "" : one_line(c.before, 80) + " -> ";
      out += "      " + esc(c.property) + ": " + esc(before) + esc(one_line(c.after, 120)) + (c.predicted ? " (predicted)" : "") + "\n";
      if (!c.diff.empty()) {
        for (const auto& line : split_lines(c.diff)) {
          const char* col = line.rfind("+", 0) == 0 && line.rfind("+++", 0) != 0   ? "32"
                            : line.rfind("-", 0) == 0 && line.rfind("---", 0) != 0 ? "31"
                            : line.rfind("@@", 0) == 0                             ? "36"
                                                                                   : "0";
          out += "        " + paint(col, esc(line)) + "\n";
        }
      }
    }
  }
  for (const auto& v : report.verify) {
    if (v.status == "failed")
      out += paint("31", "  ! verify " + esc(redact::redact(v.name)) + ": failed: " + esc(redact::redact(v.message))) + "\n";
    else if (v.status == "planned")
      out += paint("2", "  ? verify " + esc(redact::redact(v.name)) + ": would run after converge") + "\n";
  }
  const Totals& t = report.totals;
  char dur[32];
  std::snprintf(dur, sizeof dur, "%.3f s", report.duration_ms / 1000.0);
  std::string summary;
  if (report.mode == "plan") summary = std::to_string(t.would_change) + " to change";
  else summary = std::to_string(t.changed) + " changed";
  summary += ", " + std::to_string(t.unchanged) + " unchanged, " + std::to_string(t.failed) + " failed";
  if (t.skipped) summary += ", " + std::to_string(t.skipped) + " skipped";
  if (!report.verify.empty() && report.mode != "plan") {
    int failed = 0;
    for (const auto& v : report.verify) failed += v.status == "failed";
    summary += "; verify: " + std::to_string(report.verify.size() - failed) + " passed, " + std::to_string(failed) + " failed";
  }
  out += (report.mode == "plan" ? "plan: " : "converge: ") + summary + " (" + dur + ")\n";
  if (report.rehearsal.is_object()) {
    const auto& h = report.rehearsal;
    int n = h.value("changes", 0);
    if (h.value("agrees", false)) {
      out += paint("32", "rehearsal: the real converge, run in a throwaway overlay, made exactly these " +
                             std::to_string(n) + " changes") + "\n";
    } else {
      out += paint("31", "rehearsal: the real converge, run in a throwaway overlay, differs from the plan "
                         "(a plan bug: please report it):") + "\n";
      for (const auto& d : h.value("differences", nlohmann::ordered_json::array()))
        out += "    " + d.get<std::string>() + "\n";
    }
  }
  return out;
}

}  // namespace roux::report
