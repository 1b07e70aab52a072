#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/source_location.h"
#include "host/host.h"
#include "report/run_report.h"

namespace roux::report {

/// One report handler from the client config's `handlers:` list. Plain data.
///   history     STATE/history.jsonl (one JSON line per run, rotated past max_bytes to .1) and
///               STATE/reports/RUN_ID.json (the full report; the newest keep_reports are kept)
///   json_file   the full report written atomically to `path`
///   webhook     POST of the JSON report to `url` (summary: true = the history line), within
///               timeout (the whole budget, every retry included), at most 1 + retries attempts
///   prometheus  roux.prom in the node-exporter textfile folder `path`, written atomically
///   syslog      one summary line via syslog(3) (failures at LOG_ERR); `path` = a datagram
///               socket to send to instead of syslog(3) (containers, tests)
///   statsd      the run's figures as StatsD (format: statsd) or DogStatsD (format: dogstatsd,
///               the default: tags policy, host and `tags`) datagrams to the UDP `address`
///               (numeric IP[:port], default port 8125) or the unix datagram socket `path`
///   events      one change event per run that changed or failed (on: changes) or every run
///               (on: always), POSTed to `url` as a Datadog event (format: datadog), a Grafana
///               annotation (grafana) or a Graphite event (graphite); `key_file` holds the API
///               key / token, sent as a header, never in the URL
/// Paths are inside --root, like the state folder; the syslog socket is a path of the machine.
struct HandlerConfig {
  std::string type;
  std::string path;
  std::string url;
  bool summary = false;
  int timeout_ms = 5000;
  int retries = 2;
  uint64_t max_bytes = 1 << 20;
  int keep_reports = 50;
  std::string ident = "roux";
  std::string address;                                        // statsd
  std::string prefix = "roux";                                // statsd metric prefix
  std::string format;                                         // statsd: dogstatsd|statsd; events: datadog|grafana|graphite
  std::vector<std::pair<std::string, std::string>> tags;      // statsd, events: extra key:value tags
  std::string key_file;                                       // events
  std::string on = "changes";                                 // events: changes|always
  SourceLocation where;
};

/// Known handler types, for config errors.
const std::vector<std::string>& handler_types();

/// Runs every handler in order, each on its own: one that fails is reported in the returned
/// warnings and never stops the others or changes the run's exit code. History always runs
/// (with defaults when not configured). `report_json` is the report serialised once by
/// report_json_text() (already redacted); every other text written or sent is passed through
/// the redactor first. Writes only through `host` (and the network/syslog for those handlers).
/// `state_report`, when given, writes what the history keeps in STATE/reports/ (the compact
/// report: write_report_json(report, false, ...), in pieces); json_file and webhook always get
/// `report_json`.
std::vector<std::string> run_handlers(const RunReport& report, const std::string& report_json,
                                      const std::vector<HandlerConfig>& handlers, host::Host& host,
                                      const std::string& state_dir, const host::Host::Pieces* state_report = nullptr);
/// Whether any of `handlers` sends or writes the whole report (json_file, a webhook without
/// summary): the run serialises the whole report for them only then.
bool handlers_need_full_report(const std::vector<HandlerConfig>& handlers);

// The handlers, one per file.
Status history_handler(const RunReport& report, const host::Host::Pieces& report_json, const HandlerConfig& cfg,
                       host::Host& host, const std::string& state_dir);
Status json_file_handler(const std::string& report_json, const HandlerConfig& cfg, host::Host& host);
Status webhook_handler(const RunReport& report, const std::string& report_json, const HandlerConfig& cfg);
Status prometheus_handler(const RunReport& report, const HandlerConfig& cfg, host::Host& host);
Status syslog_handler(const RunReport& report, const HandlerConfig& cfg);
/// One syslog record `line` (one line, already redacted) at `priority` (LOG_NOTICE...), facility
/// daemon, as IDENT[PID]: through syslog(3), or, when `path` is given, as the RFC 3164 datagram
/// syslog(3) would send, to that unix datagram socket.
Status syslog_send(const std::string& ident, int priority, const std::string& line, const std::string& path);
Status statsd_handler(const RunReport& report, const HandlerConfig& cfg);
Status events_handler(const RunReport& report, const HandlerConfig& cfg);

/// POSTs `body` (JSON) to `url` with extra `headers`, within timeout_ms for every attempt and
/// pause together, at most 1 + retries attempts (none after a 4xx).
Status post_json(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                 int timeout_ms, int retries);
/// "IP[:PORT]" or "[V6]:PORT" -> host, port ("localhost" reads as 127.0.0.1; names are refused).
Result<std::pair<std::string, uint16_t>> parse_host_port(const std::string& address, uint16_t default_port);
/// The statsd handler's lines, one metric each (before packing into datagrams).
std::vector<std::string> statsd_lines(const RunReport& report, const HandlerConfig& cfg);
/// Whether the events handler posts for this run, and what.
bool event_wanted(const RunReport& report, const HandlerConfig& cfg);
std::string event_body(const RunReport& report, const HandlerConfig& cfg);

/// The Prometheus text exposition of a run (what prometheus_handler writes).
std::string prometheus_text(const RunReport& report);
/// The syslog summary line of a run.
std::string syslog_line(const RunReport& report);

}  // namespace roux::report
