// webhook handler: POST the JSON report (or its history line) to a URL.

#include "base/json.h"
#include "base/redact.h"
#include "report/handlers/handlers.h"

namespace roux::report {

Status webhook_handler(const RunReport& report, const std::string& report_json, const HandlerConfig& cfg) {
  std::string body = cfg.summary ? redact::redact(json_dump(to_history_json(report))) : report_json;
  return post_json(cfg.url, body, {}, cfg.timeout_ms, cfg.retries);
}

}  // namespace roux::report
