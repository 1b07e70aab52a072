// events handler: one change event per run that changed or failed something, posted where a team
// already looks when an incident starts: a Datadog-compatible events API, a Grafana annotation,
// or a Graphite event. Bounded in time like the webhook; never fails the run.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "base/json.h"
#include "base/redact.h"
#include "base/strings.h"
#include "report/handlers/handlers.h"

namespace roux::report {
namespace {

constexpr size_t kMaxListed = 30;

/// The key file's first line (at most 4 KiB, the file itself: no symlink), registered as a secret.
Result<std::string> read_key(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::io("open " + path, errno);
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  int err = errno;
  close(fd);
  if (n < 0) return Status::io("read " + path, err);
  std::string_view text(buf, static_cast<size_t>(n));
  std::string key(trim(text.substr(0, text.find('\n'))));
  if (key.empty()) return Status::invalid_input(path + ": empty key file");
  for (char c : key)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return Status::invalid_input(path + ": control character in key");
  redact::add_secret(key);
  return key;
}

}  // namespace

bool event_wanted(const RunReport& report, const HandlerConfig& cfg) {
  return cfg.on == "always" || report.totals.changed > 0 || report.exit_code == 1 || (report.exit_code & 4);
}

std::string event_title(const RunReport& report) {
  const Totals& t = report.totals;
  std::string s = "roux converge on " + report.hostname + ": ";
  if (!report.errors.empty()) s += "could not run";
  else s += std::to_string(t.changed) + " changed, " + std::to_string(t.failed) + " failed";
  return s + " (policy " + report.policy + ")";
}

std::string event_text(const RunReport& report) {
  std::string out = "run " + report.run_id + ", exit " + std::to_string(report.exit_code) + "\n";
  size_t listed = 0, more = 0;
  for (const auto& e : report.errors) out += "error: " + e + "\n";
  for (const auto& r : report.resources) {
    if (r.status != "changed" && r.status != "failed") continue;
    if (listed++ >= kMaxListed) {
      ++more;
      continue;
    }
    out += r.status + " " + r.id;
    if (r.status == "failed" && !r.error.empty()) out += ": " + one_line(r.error, 200);
    out += "\n";
  }
  if (more) out += "and " + std::to_string(more) + " more\n";
  return out;
}

std::vector<std::string> event_tags(const RunReport& report, const HandlerConfig& cfg) {
  std::vector<std::string> tags = {"roux", "policy:" + report.policy, "host:" + report.hostname};
  for (const auto& [k, v] : cfg.tags) tags.push_back(k + ":" + v);
  return tags;
}

std::string event_body(const RunReport& report, const HandlerConfig& cfg) {
  bool failed = report.exit_code == 1 || (report.exit_code & 4);
  nlohmann::json j;
  if (cfg.format == "grafana") {
    // POST /api/annotations: an annotation over the run's time span.
    long long end_ms = static_cast<long long>(std::time(nullptr)) * 1000;
    j = {{"time", end_ms - static_cast<long long>(report.duration_ms)},
         {"timeEnd", end_ms},
         {"tags", event_tags(report, cfg)},
         {"text", event_title(report) + "\n" + event_text(report)}};
  } else if (cfg.format == "graphite") {
    // POST /events/: what, tags (one space-separated string), data.
    j = {{"what", event_title(report)}, {"tags", join(event_tags(report, cfg), " ")}, {"data", event_text(report)}};
  } else {
    // Datadog events API (POST /api/v1/events).
    j = {{"title", event_title(report)},
         {"text", event_text(report)},
         {"tags", event_tags(report, cfg)},
         {"alert_type", failed ? "error" : "info"},
         {"source_type_name", "roux"},
         {"aggregation_key", "roux-" + report.policy},
         {"host", report.hostname}};
  }
  return redact::redact(json_dump(j));
}

Status events_handler(const RunReport& report, const HandlerConfig& cfg) {
  if (!event_wanted(report, cfg)) return Status::ok();
  std::vector<std::string> headers;
  if (!cfg.key_file.empty()) {
    ROUX_ASSIGN_OR_RETURN(std::string key, read_key(cfg.key_file));
    if (cfg.format == "grafana") headers.push_back("Authorization: Bearer " + key);
    else if (cfg.format == "graphite") headers.push_back("Authorization: Basic " + key);
    else headers.push_back("DD-API-KEY: " + key);
  }
  return post_json(cfg.url, event_body(report, cfg), headers, cfg.timeout_ms, cfg.retries);
}

}  // namespace roux::report
