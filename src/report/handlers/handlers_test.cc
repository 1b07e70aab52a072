#include "report/handlers/handlers.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

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

TEST_CASE("handlers: statsd lines carry DogStatsD tags, cleaned; plain statsd has none") {
  RunReport r;
  r.policy = "we,b|x";
  r.hostname = "h1";
  r.duration_ms = 1234.4;
  r.exit_code = 6;
  r.totals.changed = 2;
  r.totals.failed = 1;
  HandlerConfig c;
  c.format = "dogstatsd";
  c.tags = {{"env", "prod"}};
  auto lines = statsd_lines(r, c);
  REQUIRE(lines.size() == 8);
  CHECK(lines[0] == "roux.run.duration:1234|ms|#policy:we_b_x,host:h1,env:prod");
  CHECK(lines[2] == "roux.run.failed:1|g|#policy:we_b_x,host:h1,env:prod");
  CHECK(lines[4] == "roux.resources.changed:2|g|#policy:we_b_x,host:h1,env:prod");
  c.format = "statsd";
  c.prefix = "ops.roux";
  CHECK(statsd_lines(r, c)[1] == "ops.roux.run.exit_code:6|g");
}

TEST_CASE("handlers: address parsing for statsd") {
  CHECK(parse_host_port("127.0.0.1:9125", 8125)->second == 9125);
  CHECK(parse_host_port("localhost", 8125)->first == "127.0.0.1");
  CHECK(parse_host_port("[::1]:8125", 1)->first == "::1");
  CHECK(!parse_host_port("127.0.0.1:0", 8125).is_ok());
  CHECK(!parse_host_port("127.0.0.1:99999", 8125).is_ok());
  CHECK(!parse_host_port(":8125", 8125).is_ok());
  CHECK(!parse_host_port("example.com:8125", 8125).is_ok());
}

TEST_CASE("handlers: an event only for runs that changed or failed; its body per format") {
  RunReport r;
  r.policy = "web";
  r.hostname = "h1";
  r.run_id = "R1";
  HandlerConfig c;
  c.format = "datadog";
  CHECK_FALSE(event_wanted(r, c));
  c.on = "always";
  CHECK(event_wanted(r, c));
  c.on = "changes";
  r.exit_code = 2;
  r.totals.changed = 1;
  ResourceReport rr;
  rr.id = "file[/etc/motd]";
  rr.status = "changed";
  r.resources.push_back(rr);
  CHECK(event_wanted(r, c));
  auto j = nlohmann::json::parse(event_body(r, c));
  CHECK(j["title"] == "roux converge on h1: 1 changed, 0 failed (policy web)");
  CHECK(j["text"] == "run R1, exit 2\nchanged file[/etc/motd]\n");
  CHECK(j["alert_type"] == "info");
  CHECK(j["tags"][1] == "policy:web");
  c.format = "grafana";
  j = nlohmann::json::parse(event_body(r, c));
  CHECK(j["timeEnd"].is_number());
  CHECK(j["tags"][0] == "roux");
  c.format = "graphite";
  j = nlohmann::json::parse(event_body(r, c));
  CHECK(j["tags"] == "roux policy:web host:h1");
}

}  // namespace roux::report
