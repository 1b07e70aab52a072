#include "report/run_report.h"

#include <sys/time.h>
#include <algorithm>

#include <cstdio>
#include <ctime>

#include "base/json.h"
#include "base/redact.h"
#include "base/sha256.h"
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

namespace {

/// resource_report into `r` (a fresh entry): built in place, and an empty text is not redacted
/// (a no-op of 10,000 resources builds 10,000 of these, nearly all without changes or output).
void fill_resource_report(ResourceReport& r, const engine::Node& n) {
  r.type = std::string(n.resource->type());
  r.name = redact::redact(n.resource->name());
  r.id = redact::redact_owned(n.resource->id());
  r.status = engine::status_name(n.status);
  // Redacted here, at the source, before any serialisation or display cuts a value short:
  // every text that leaves roux is built from these fields.
  // Each text redacted where it lies (redact_owned): no second copy of a new file's whole text.
  r.changes = n.changes;
  for (auto& c : r.changes) {
    c.before = redact::redact_owned(std::move(c.before));
    c.after = redact::redact_owned(std::move(c.after));
    c.diff = redact::redact_owned(std::move(c.diff));
  }
  r.action = action_of(r.changes);
  r.desired = n.resource->meta().desired_digest;
  r.duration_ms = n.duration_ms;
  auto text = [](const std::string& s) { return s.empty() ? std::string() : redact::redact(s); };
  r.error = text(n.error);
  r.skip_reason = text(n.skip_reason);
  r.output = text(n.output);
  if (!n.notified_by.empty()) r.notified_by = redacted(n.notified_by);
  if (!n.undelivered.empty()) r.undelivered_notifications = redacted(n.undelivered);
  r.cookbook = n.resource->meta().cookbook;
  r.recipe = n.resource->meta().recipe;
  r.composite = n.resource->meta().composite;
  r.sensitive = n.resource->meta().sensitive || n.resource->is_always_sensitive();
  r.failure_ignored = n.failure_ignored;
}

}  // namespace

ResourceReport resource_report(const engine::Node& n) {
  ResourceReport r;
  fill_resource_report(r, n);
  return r;
}

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

/// "absent", "absent (home /home/x removed)", "purged": the thing is gone.
bool names_absence(std::string_view v) { return starts_with(v, "absent") || starts_with(v, "purged"); }

/// The kind of filesystem object an ensure value names ("file", "directory ...", "link to X"),
/// or "" when it names none (a version, "present").
std::string_view file_kind(std::string_view v) {
  for (std::string_view k : {"file", "directory", "link", "special file"})
    if (v == k || starts_with(v, std::string(k) + " ")) return k;
  return {};
}

}  // namespace

std::string action_of(const std::vector<engine::Change>& changes) {
  if (changes.empty()) return "none";
  // The existence of the thing is said by `ensure` (every type that creates or deletes), or by a
  // link's `to` (absent -> target; a file given way to a link).
  for (const auto& c : changes) {
    if (c.property != "ensure" && c.property != "to") continue;
    bool before_absent = c.before.empty() || names_absence(c.before);
    bool after_absent = names_absence(c.after);
    if (before_absent && !after_absent) return "create";
    if (!before_absent && after_absent) return "delete";
    std::string_view kb = file_kind(c.before), ka = c.property == "to" ? "link" : file_kind(c.after);
    if (!kb.empty() && !ka.empty() && kb != ka) return "replace";
  }
  return "change";
}

PreviousRun parse_previous_run(std::string_view report_json) {
  PreviousRun prev;
  // Only the cookbooks, each resource's id and digest, and the few top-level fields that say
  // whether the list is whole (unchanged_not_listed, selection, desired_set) are read: everything else (the changes
  // and their diffs: megabytes after a run that wrote thousands of files) is skipped while
  // parsing instead of held as a tree (20 MB at the peak of the no-op after a 5,000-file converge).
  std::string top;  // the top-level key being parsed
  nlohmann::json::parser_callback_t keep = [&top](int depth, nlohmann::json::parse_event_t event,
                                                   nlohmann::json& parsed) {
    if (event != nlohmann::json::parse_event_t::key) return true;
    if (depth == 1) {
      top = parsed.is_string() ? parsed.get<std::string>() : "";
      return top == "cookbooks" || top == "resources" || top == "unchanged_not_listed" || top == "selection" ||
             top == "desired_set";
    }
    if (depth == 3 && top == "resources") return parsed == "id" || parsed == "desired";
    return true;
  };
  auto j = nlohmann::json::parse(report_json, keep, /*allow_exceptions=*/false);
  if (!j.is_object()) return prev;
  prev.known = true;
  // Field by field, each checked: the file is roux's own, but may come from another version.
  if (auto c = j.find("cookbooks"); c != j.end() && c->is_array())
    for (const auto& cb : *c)
      if (cb.is_object())
        prev.cookbooks.push_back({json_string(cb, "name"), json_string(cb, "version"), json_string(cb, "source")});
  if (auto rs = j.find("resources"); rs != j.end() && rs->is_array())
    for (const auto& r : *rs)
      // Every id: one recorded without a digest (a secret, or an older roux) has no known cause.
      if (r.is_object()) prev.desired[json_string(r, "id")] = json_string(r, "desired");
  if (auto u = j.find("unchanged_not_listed"); u != j.end() && u->is_number_unsigned() && u->get<uint64_t>() > 0)
    prev.partial_list = true;
  if (auto s = j.find("selection"); s != j.end() && s->is_object()) prev.partial_list = true;
  prev.desired_set = json_string(j, "desired_set");
  return prev;
}

std::vector<std::string> moved_cookbooks(const std::vector<CookbookInfo>& before, const std::vector<CookbookInfo>& now) {
  std::vector<std::string> out;
  auto find = [](const std::vector<CookbookInfo>& list, const std::string& name) -> const CookbookInfo* {
    for (const auto& c : list)
      if (c.name == name) return &c;
    return nullptr;
  };
  for (const auto& c : now) {
    const CookbookInfo* b = find(before, c.name);
    if (!b) out.push_back(c.name + " " + c.version + " (new)");
    else if (b->version != c.version) out.push_back(c.name + " " + b->version + " -> " + c.version);
  }
  for (const auto& b : before)
    if (!find(now, b.name)) out.push_back(b.name + " " + b.version + " (gone)");
  return out;
}

std::string cause_of(const PreviousRun& previous, const std::string& id, const std::string& desired) {
  if (!previous.known || desired.empty()) return "";
  auto it = previous.desired.find(id);
  if (it == previous.desired.end()) {
    if (!previous.partial_list) return "policy";  // new in the policy since the last run
    // Not listed (unchanged then, or outside a targeted run's selection): known only when no
    // resource's desired state moved since.
    return previous.same_desired_set ? "drift" : "";
  }
  if (it->second.empty()) return "";
  return it->second == desired ? "drift" : "policy";
}

std::string desired_set_digest(std::vector<std::pair<std::string, std::string>> id_desired) {
  std::sort(id_desired.begin(), id_desired.end());
  // The lines "ID\tDIGEST\n" in order, hashed through a 64 KiB buffer (not one text of them all:
  // megabytes at 10,000 resources, regrown as it went).
  Sha256 h;
  std::string buf;
  buf.reserve(size_t{1} << 16);
  for (const auto& [id, d] : id_desired) {
    buf.append(id).append(1, '\t').append(d).append(1, '\n');
    if (buf.size() >= (size_t{1} << 16) - 1024) {
      h.update(buf);
      buf.clear();
    }
  }
  h.update(buf);
  return h.hex_digest();
}

std::string cause_for(const PreviousRun& previous, const ResourceReport& r) {
  if (r.changes.empty() || !r.notified_by.empty()) return "";
  return cause_of(previous, r.id, r.desired);
}

void add_graph(RunReport& report, const engine::Graph& graph, const PreviousRun* previous) {
  report.resources.reserve(report.resources.size() + graph.nodes().size());
  for (const auto& n : graph.nodes()) {
    if (!n->selected) continue;  // a targeted run reports only what it selected
    ResourceReport& r = report.resources.emplace_back();
    fill_resource_report(r, *n);
    if (previous) r.cause = cause_for(*previous, r);
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
    if (r.status == "changed" || r.status == "would_change") {
      if (r.action == "create") ++t.add;
      else if (r.action == "delete") ++t.destroy;
      else if (r.action == "replace") ++t.replace, ++t.add, ++t.destroy;
      else if (r.action == "change") ++t.change;
    }
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
          {"unchanged", t.unchanged}, {"failed", t.failed},   {"skipped", t.skipped},
          {"add", t.add},             {"change", t.change},   {"destroy", t.destroy},
          {"replace", t.replace}};
}

/// The report's fields before "resources", in schema order.
nlohmann::ordered_json header_json(const RunReport& report) {
  nlohmann::ordered_json j;
  j["run_id"] = report.run_id;
  j["roux_version"] = report.roux_version;
  j["mode"] = report.mode;
  j["policy"] = report.policy;
  if (!report.policy_group.empty()) j["policy_group"] = report.policy_group;
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
  if (!report.lock_digest.empty()) j["lock_digest"] = report.lock_digest;
  if (!report.cookbooks_moved.empty()) j["cookbooks_moved"] = report.cookbooks_moved;
  if (!report.desired_set.empty()) j["desired_set"] = report.desired_set;
  j["errors"] = redacted(report.errors);
  if (!report.rehearsal.is_null()) j["rehearsal"] = report.rehearsal;
  if (!report.selection.is_null()) j["selection"] = report.selection;
  if (!report.saved_plan.is_null()) j["saved_plan"] = report.saved_plan;
  if (!report.reboot.is_null()) j["reboot"] = report.reboot;
  return j;
}

nlohmann::ordered_json resource_json(const ResourceReport& r) {
  nlohmann::ordered_json o{{"type", r.type},   {"name", r.name},         {"id", r.id},
                           {"status", r.status}, {"action", r.action}, {"duration_ms", r.duration_ms},
                           {"changes", changes_json(r.changes)}};
  if (!r.cause.empty()) o["cause"] = r.cause;
  if (!r.desired.empty()) o["desired"] = r.desired;
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

Status write_report_json(const RunReport& report, bool list_unchanged,
                         const std::function<Status(std::string_view)>& out) {
  // The same document as to_json(report).dump(), written one resource at a time: a report of
  // 10,000 resources never exists as one JSON tree (that tree cost a no-op run a fifth of its
  // time), nor as one text: each piece is redacted and handed on as soon as it is made.
  redact::Stream stream(out);
  std::string piece = json_dump(header_json(report));
  piece.pop_back();  // the header object's closing brace: the document goes on
  piece += ",\"resources\":[";
  size_t listed = 0, not_listed = 0;
  for (const auto& r : report.resources) {
    if (!list_unchanged && r.status == "unchanged" && r.error.empty() && r.output.empty()) {
      ++not_listed;
      continue;
    }
    if (listed++ > 0) piece += ',';
    piece += json_dump(resource_json(r));
    // Pieces of some 64 KiB: few calls down the stream, little held at once.
    if (piece.size() >= 65536) {
      ROUX_TRY(stream.put(piece));
      piece.clear();
    }
  }
  piece += "]";
  if (!list_unchanged) piece += ",\"unchanged_not_listed\":" + std::to_string(not_listed);
  piece += ",\"verify\":";
  piece += json_dump(verify_json(report.verify));
  piece += "}";
  ROUX_TRY(stream.put(piece));
  ROUX_TRY(stream.finish());
  return out("\n");
}

std::string report_json_text(const RunReport& report, bool list_unchanged) {
  std::string text;
  (void)write_report_json(report, list_unchanged, [&text](std::string_view piece) {
    text.append(piece);
    return Status::ok();
  });
  return text;
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
  if (!report.policy_group.empty()) j["policy_group"] = report.policy_group;
  if (!report.lock_digest.empty()) j["lock_digest"] = report.lock_digest;
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
  if (!report.reboot.is_null())
    j["reboot"] = {{"pending", report.reboot.value("pending", false)}, {"decision", report.reboot.value("decision", "hold")}};
  return j;
}

namespace {

/// ANSI colour when `on`: 31 red, 32 green, 33 yellow, 36 cyan, 2 dim.
std::string paint(bool on, const char* code, const std::string& s) {
  return on ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
}

// Text from the host (a command's output in an error, a file's bytes in a diff, a path) is
// written byte for byte, UTF-8 or not, except control characters (escape_controls): a line of
// output must not be able to drive the terminal it is read on.
std::string esc(std::string_view s) { return escape_controls(s); }

/// "+", "-", "~" or "-/+", coloured like Terraform's.
std::string action_mark(const std::string& action, bool color) {
  if (action == "create") return paint(color, "32", "+");
  if (action == "delete") return paint(color, "31", "-");
  if (action == "replace") return paint(color, "31", "-") + "/" + paint(color, "32", "+");
  return paint(color, "33", "~");
}

std::string shown_value(const std::string& v, size_t max) { return v.empty() ? "(none)" : one_line(v, max); }

}  // namespace

std::string format_header(const RunReport& report, bool color) {
  std::string out = paint(color, "1", std::string("roux ") + (report.mode == "apply" ? "converge" : report.mode)) +
                    ": policy " + esc(report.policy.empty() ? "(none)" : report.policy);
  if (!report.policy_group.empty()) out += ", group " + esc(report.policy_group);
  out += ", lock " + (report.lock_digest.empty() ? std::string("(none: versions resolved now)")
                                                 : "sha256:" + report.lock_digest.substr(0, 12));
  out += "\n";
  if (!report.cookbooks_moved.empty())
    out += "  cookbooks moved since the last run: " + esc(join(report.cookbooks_moved, ", ")) + "\n";
  return out;
}

std::string format_resource(const ResourceReport& r, bool color) {
  std::string out;
  if (r.status == "unchanged" || r.status == "pending") return out;
  if (r.status == "skipped") {
    // A skip for a failed dependency is news (yellow); a guard's or a fact's "no" is not (dim).
    const char* col = r.skip_reason.rfind("dependency ", 0) == 0 ? "33" : "2";
    return paint(color, col, "  = " + esc(r.id) + ": skipped: " + esc(r.skip_reason)) + "\n";
  }
  if (r.status == "failed") {
    out += paint(color, "31", "  ! " + esc(r.id) + ": failed" + (r.failure_ignored ? " (ignored)" : "") + ": " + esc(r.error)) + "\n";
  } else {
    out += "  " + action_mark(r.action, color) + " " + esc(r.id);
    if (r.cause == "drift") out += paint(color, "2", "  (drift)");
    else if (r.cause == "policy") out += paint(color, "2", "  (policy changed)");
    // Who notified, once: not when a change line below already says it (an exec's "run: ... ->
    // CMD (notified by X)", a service's "restart: -> notified by X").
    if (!r.notified_by.empty()) {
      std::string note = "notified by " + join(r.notified_by, ", ");
      bool told = std::any_of(r.changes.begin(), r.changes.end(), [&](const engine::Change& c) {
        return shown_value(c.after, 120).find(note) != std::string::npos;
      });
      if (!told) out += "  (" + esc(note) + ")";
    }
    out += "\n";
  }
  for (const auto& c : r.changes) {
    out += "      " + esc(c.property) + ":";
    // A change told by its diff alone (a crontab's content) has no before/after to show.
    if (!c.before.empty() || !c.after.empty() || c.diff.empty())
      out += " " + esc(shown_value(c.before, 80)) + " -> " + esc(shown_value(c.after, 120));
    out += std::string(c.predicted ? " (predicted)" : "") + "\n";
    for (const auto& line : split_lines(c.diff)) {
      const char* col = line.rfind("+", 0) == 0 && line.rfind("+++", 0) != 0   ? "32"
                        : line.rfind("-", 0) == 0 && line.rfind("---", 0) != 0 ? "31"
                        : line.rfind("@@", 0) == 0                             ? "36"
                                                                               : "0";
      out += "        " + paint(color && col[0] != '0', col, esc(line)) + "\n";
    }
  }
  return out;
}

std::string summary_counts(const RunReport& report) {
  const Totals& t = report.totals;
  auto n = [](int v) { return std::to_string(v); };
  std::string s = report.mode == "plan"
                      ? n(t.add) + " to add, " + n(t.change) + " to change, " + n(t.destroy) + " to destroy"
                      : n(t.add) + " added, " + n(t.change) + " changed, " + n(t.destroy) + " destroyed";
  s += ", " + n(t.failed) + " failed; " + n(t.unchanged) + " unchanged";
  if (t.skipped) s += ", " + n(t.skipped) + " skipped";
  return s;
}

namespace {

/// The pending reboot, one line: "reboot pending: REASON (ID); not rebooting: WHY", or what the
/// end of the run does ("reboot: rebooting the host now: ..."); "" when nothing is pending.
std::string reboot_line(const RunReport& report, bool color) {
  const auto& r = report.reboot;
  if (!r.is_object() || !r.value("pending", false)) return "";
  std::vector<std::string> reasons;
  for (const auto& q : r.value("requests", nlohmann::ordered_json::array()))
    reasons.push_back(q.value("reason", "") + " (" + q.value("by", "") + ")");
  std::string what = esc(redact::redact(join(reasons, "; ")));
  if (r.value("decision", "") != "reboot")
    return paint(color, "33", "reboot pending: " + what + "; not rebooting: " + r.value("why", "")) + "\n";
  int delay = r.value("delay_minutes", 0);
  std::string when = delay > 0 ? "in " + std::to_string(delay) + " min" : "now";
  return paint(color, "33", (report.mode == "plan" ? "reboot: the converge would reboot the host at its end (" + when + "): "
                                                   : "reboot: rebooting the host " + when + ", after this report: ") +
                                what) +
         "\n";
}

}  // namespace

std::string format_footer(const RunReport& report, bool color) {
  std::string out;
  for (const auto& v : report.verify) {
    if (v.status == "failed")
      out += paint(color, "31", "  ! verify " + esc(redact::redact(v.name)) + ": failed: " + esc(redact::redact(v.message))) + "\n";
    else if (v.status == "planned")
      out += paint(color, "2", "  ? verify " + esc(redact::redact(v.name)) + ": would run after converge") + "\n";
  }
  for (const auto& e : report.errors) out += paint(color, "31", "error: ") + esc(redact::redact(e)) + "\n";
  char dur[32];
  std::snprintf(dur, sizeof dur, "%.3f s", report.duration_ms / 1000.0);
  std::string summary = report.mode == "verify" ? "" : summary_counts(report);
  if ((!report.verify.empty() && report.mode != "plan") || report.mode == "verify") {
    int failed = 0;
    for (const auto& v : report.verify) failed += v.status == "failed";
    summary += std::string(summary.empty() ? "" : "; ") + "verify: " + std::to_string(report.verify.size() - failed) +
               " passed, " + std::to_string(failed) + " failed";
  }
  out += (report.mode == "plan" ? "plan: " : report.mode == "verify" ? "" : "converge: ") + summary + " (" + dur + ")\n";
  out += reboot_line(report, color);
  if (report.rehearsal.is_object()) {
    const auto& h = report.rehearsal;
    int n = h.value("changes", 0);
    if (h.value("agrees", false)) {
      out += paint(color, "32", "rehearsal: the real converge, run in a throwaway overlay, made exactly these " +
                                    std::to_string(n) + " changes") + "\n";
    } else {
      out += paint(color, "31", "rehearsal: the real converge, run in a throwaway overlay, differs from the plan "
                                "(a plan bug: please report it):") + "\n";
      for (const auto& d : h.value("differences", nlohmann::ordered_json::array()))
        out += "    " + d.get<std::string>() + "\n";
    }
  }
  return out;
}

std::string format_text(const RunReport& report, bool color) {
  std::string out = format_header(report, color);
  for (const auto& r : report.resources) out += format_resource(r, color);
  return out + format_footer(report, color);
}

}  // namespace roux::report
