#include "report/handlers/handlers.h"

#include "base/redact.h"

namespace roux::report {

const std::vector<std::string>& handler_types() {
  static const std::vector<std::string> kTypes = {"history", "json_file", "webhook", "prometheus", "syslog", "statsd", "events"};
  return kTypes;
}

std::vector<std::string> run_handlers(const RunReport& report, const std::string& report_json,
                                      const std::vector<HandlerConfig>& handlers, host::Host& host,
                                      const std::string& state_dir, const host::Host::Pieces* state_report) {
  const host::Host::Pieces whole = [&report_json](const host::Host::PieceSink& sink) { return sink(report_json); };
  std::vector<HandlerConfig> list = handlers;
  bool has_history = false;
  for (const auto& h : list) has_history = has_history || h.type == "history";
  if (!has_history) list.insert(list.begin(), HandlerConfig{"history"});
  std::vector<std::string> warnings;
  for (const auto& h : list) {
    Status s;
    if (h.type == "history") s = history_handler(report, state_report ? *state_report : whole, h, host, state_dir);
    else if (h.type == "json_file") s = json_file_handler(report_json, h, host);
    else if (h.type == "webhook") s = webhook_handler(report, report_json, h);
    else if (h.type == "prometheus") s = prometheus_handler(report, h, host);
    else if (h.type == "syslog") s = syslog_handler(report, h);
    else if (h.type == "statsd") s = statsd_handler(report, h);
    else if (h.type == "events") s = events_handler(report, h);
    else s = Status::invalid_input("unknown handler type");
    if (!s.is_ok()) warnings.push_back(redact::redact("handler " + h.type + ": " + s.to_string()));
  }
  return warnings;
}

bool handlers_need_full_report(const std::vector<HandlerConfig>& handlers) {
  for (const auto& h : handlers)
    if (h.type == "json_file" || (h.type == "webhook" && !h.summary)) return true;
  return false;
}

}  // namespace roux::report
