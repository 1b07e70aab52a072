#include "report/handlers/handlers.h"

#include <doctest/doctest.h>

#include "base/redact.h"

namespace roux::report {

TEST_CASE("handlers: prometheus text has every metric, escaped labels, one sample per line") {
  RunReport r;
  r.policy = "we\"b";
  r.duration_ms = 1234;
  r.exit_code = 6;
  r.totals.changed = 2;
  r.totals.failed = 1;
  std::string t = prometheus_text(r);
  CHECK(t.find("roux_last_run_duration_seconds{policy=\"we\\\"b\"} 1.234\n") != std::string::npos);
  CHECK(t.find("roux_last_run_success{policy=\"we\\\"b\"} 0\n") != std::string::npos);
  CHECK(t.find("roux_resources{policy=\"we\\\"b\",status=\"changed\"} 2\n") != std::string::npos);
  CHECK(t.find("roux_resources{policy=\"we\\\"b\",status=\"failed\"} 1\n") != std::string::npos);
  CHECK(t.find("roux_last_run_partial{policy=\"we\\\"b\"} 0\n") != std::string::npos);
  CHECK(t.find("# TYPE roux_last_run_timestamp_seconds gauge\n") != std::string::npos);
}

TEST_CASE("handlers: the syslog line summarises the run and is redacted") {
  RunReport r;
  r.run_id = "20261121T000000.000Z-1";
  r.mode = "apply";
  r.policy = "web";
  r.exit_code = 4;
  r.totals.failed = 1;
  r.errors.push_back("boom hunter2-secret");
  redact::add_secret("hunter2-secret");
  std::string line = syslog_line(r);
  CHECK(line.rfind("run 20261121T000000.000Z-1 apply policy web: 0 changed, 0 unchanged, 1 failed", 0) == 0);
  CHECK(redact::redact(line).find("hunter2") == std::string::npos);
  redact::clear();
}

TEST_CASE("handlers: the syslog line is one line, control bytes escaped, other bytes kept") {
  RunReport r;
  r.run_id = "1";
  r.mode = "apply";
  r.policy = "web";
  r.exit_code = 1;
  r.errors.push_back("bad\nroux[1]: forged record\x1b[2J caf\xe9");
  std::string line = syslog_line(r);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line.find("bad\\x0aroux[1]: forged record\\x1b[2J caf\xe9") != std::string::npos);
}

}  // namespace roux::report
