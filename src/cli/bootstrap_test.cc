#include "cli/bootstrap.h"

#include <doctest/doctest.h>

#include "cli/client_config.h"
#include "cli/exit_code.h"

namespace roux::cli {
namespace {

BootstrapConfig web() { return {"http://127.0.0.1:8080", "web", "", {"/etc/roux/trusted/team.pub"}}; }

TEST_CASE("bootstrap config: the written text parses back to what was asked") {
  BootstrapConfig c = web();
  c.policy_group = "staging";
  auto parsed = parse_client_config(render_bootstrap_config(c), "client.yaml");
  REQUIRE(parsed.is_ok());
  CHECK(parsed->sources == std::vector<std::string>{"http://127.0.0.1:8080"});
  CHECK(parsed->policy_name == "web");
  CHECK(parsed->policy_group == "staging");
  CHECK(parsed->policy.empty());
  CHECK(parsed->trusted_keys == std::vector<std::string>{"/etc/roux/trusted/team.pub"});
  CHECK(render_bootstrap_config(c) == render_bootstrap_config(c));  // no date: same args, same bytes
  CHECK(render_bootstrap_config(web()).find("policy_group") == std::string::npos);
}

TEST_CASE("bootstrap config: none is written, the same is kept, a different one refused unless --force") {
  const std::string path = "/etc/roux/client.yaml";
  CHECK(*decide_config(std::nullopt, path, web(), false) == ConfigAction::kWrite);
  CHECK(*decide_config(render_bootstrap_config(web()), path, web(), false) == ConfigAction::kKeep);
  // The same settings with a handler added by hand: kept (with the handler).
  std::string with_handler = render_bootstrap_config(web()) + "handlers:\n  - type: syslog\n";
  auto kept = decide_config(with_handler, path, web(), false);
  REQUIRE(kept.is_ok());
  CHECK(*kept == ConfigAction::kKeep);

  BootstrapConfig other = web();
  other.policy_name = "db";
  other.source = "http://10.0.0.1/market";
  auto refused = decide_config(render_bootstrap_config(other), path, web(), false);
  REQUIRE(!refused.is_ok());
  CHECK(refused.status().code() == Code::kConflict);
  const std::string& m = refused.status().message();
  CHECK(m.find("/etc/roux/client.yaml exists and differs from what bootstrap would write:") == 0);
  CHECK(m.find("sources: it has [http://10.0.0.1/market], bootstrap would write [http://127.0.0.1:8080]") !=
        std::string::npos);
  CHECK(m.find("policy_name: it has \"db\", bootstrap would write \"web\"") != std::string::npos);
  CHECK(m.find("trusted_keys") == std::string::npos);  // the same keys are not named
  CHECK(m.find("pass --force") != std::string::npos);
  CHECK(*decide_config(render_bootstrap_config(other), path, web(), true) == ConfigAction::kOverwrite);

  auto policy_file = decide_config("policy: /srv/policy.yaml\nsources: [http://127.0.0.1:8080]\n", path, web(), false);
  REQUIRE(!policy_file.is_ok());
  CHECK(policy_file.status().message().find("policy: it runs the policy file /srv/policy.yaml") != std::string::npos);
  // The package's commented example sets nothing: replaced without --force.
  CHECK(*decide_config("# roux client config\n# sources:\n#   - https://example\n", path, web(), false) ==
        ConfigAction::kWrite);
  auto handlers_only = decide_config("handlers:\n  - type: syslog\n", path, web(), false);
  CHECK(!handlers_only.is_ok());  // someone's settings: not silently dropped
  auto garbage = decide_config("sources: {", path, web(), false);
  REQUIRE(!garbage.is_ok());
  CHECK(garbage.status().message().find("it does not parse") != std::string::npos);
}

TEST_CASE("bootstrap config: bootstrap --config's git: settings are written, parse back, and count as a difference") {
  BootstrapConfig c = web();
  c.git.netrc = "/etc/roux/git.netrc";
  c.git.credential_helper = "/usr/local/bin/helper --store \"a b\": x";
  const std::string text = render_bootstrap_config(c);
  CHECK(text.find("git:\n  netrc: \"/etc/roux/git.netrc\"\n") != std::string::npos);
  CHECK(text.find("ssh_key") == std::string::npos);  // only what is set
  auto parsed = parse_client_config(text, "client.yaml");
  REQUIRE(parsed.is_ok());
  CHECK(parsed->git.netrc == "/etc/roux/git.netrc");
  CHECK(parsed->git.credential_helper == c.git.credential_helper);
  CHECK(render_bootstrap_config(web()).find("git:") == std::string::npos);
  const std::string path = "/etc/roux/client.yaml";
  CHECK(*decide_config(text, path, c, false) == ConfigAction::kKeep);
  auto refused = decide_config(render_bootstrap_config(web()), path, c, false);
  REQUIRE(!refused.is_ok());
  CHECK(refused.status().message().find("git: its settings differ from those of bootstrap --config") != std::string::npos);
  // A config holding only git: settings is someone's: not silently replaced.
  CHECK(!decide_config("git:\n  netrc: /etc/roux/git.netrc\n", path, web(), false).is_ok());
}

PassOutcome pass(int rc, std::vector<std::string> changed = {}) { return {rc, std::move(changed), {}, 1.0}; }

TEST_CASE("bootstrap passes: converge until a pass changes nothing, at most N") {
  CHECK(another_pass({}, 3));
  CHECK(another_pass({pass(kExitChanges, {"file[/a]"})}, 3));
  CHECK(!another_pass({pass(kExitClean)}, 3));
  CHECK(!another_pass({pass(kExitFailures)}, 3));
  CHECK(!another_pass({pass(kExitNoRun)}, 3));
  CHECK(another_pass({pass(kExitBoth, {"a"})}, 3));  // a failure may clear once its dependency exists
  CHECK(!another_pass({pass(kExitChanges), pass(kExitChanges), pass(kExitChanges)}, 3));
  CHECK(!another_pass({pass(kExitChanges)}, 1));
}

TEST_CASE("bootstrap passes: the verdict uses converge's exit codes") {
  auto v = judge_passes({pass(kExitChanges), pass(kExitClean)});
  CHECK(v.settled);
  CHECK(v.exit_code == kExitChanges);
  v = judge_passes({pass(kExitClean)});  // already converged
  CHECK(v.settled);
  CHECK(v.exit_code == kExitClean);
  v = judge_passes({pass(kExitChanges), pass(kExitChanges), pass(kExitChanges)});  // never settles
  CHECK(!v.settled);
  CHECK(v.exit_code == kExitBoth);
  v = judge_passes({pass(kExitBoth), pass(kExitFailures)});  // settled, with a failure left
  CHECK(v.settled);
  CHECK(v.exit_code == kExitBoth);
  v = judge_passes({pass(kExitFailures)});
  CHECK(v.exit_code == kExitFailures);
  v = judge_passes({pass(kExitChanges), pass(kExitNoRun)});
  CHECK(v.exit_code == kExitNoRun);
  CHECK(judge_passes({}).exit_code == kExitNoRun);
}

TEST_CASE("bootstrap --config: every other setting is written after bootstrap's own, and reads back") {
  const std::string given =
      "sources: [http://ignored.example/]\npolicy_name: other\nca_bundle: /etc/ssl/private-ca.pem\nhttp:\n  timeout: 45\n"
      "git:\n  netrc: /etc/roux/netrc\nhandlers:\n  - type: json_file\n    path: /var/log/roux/last.json\n"
      "reboot:\n  allow: true\n  command: [/sbin/shutdown, -r, +1]\nlog_level: info\n";
  auto others = other_config_settings(given, "given.yaml");
  REQUIRE(others.is_ok());
  std::vector<std::string> keys;
  for (const auto& [k, v] : *others) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"ca_bundle", "http", "handlers", "reboot", "log_level"});  // file order, own keys left out
  BootstrapConfig c = web();
  c.git.netrc = "/etc/roux/netrc";
  c.settings = *others;
  c.from_config = true;
  auto parsed = parse_client_config(render_bootstrap_config(c), "client.yaml");
  REQUIRE(parsed.is_ok());
  CHECK(parsed->sources == std::vector<std::string>{"http://127.0.0.1:8080"});
  CHECK(parsed->policy_name == "web");
  CHECK(parsed->ca_bundle == "/etc/ssl/private-ca.pem");
  CHECK(parsed->http.timeout_s == 45);
  CHECK(parsed->git.netrc == "/etc/roux/netrc");
  REQUIRE(parsed->handlers.size() == 1);
  CHECK(parsed->handlers[0].type == "json_file");
  CHECK(parsed->reboot.allow);
  CHECK(parsed->log_level == "info");
  // The same again: kept; another value of one setting: refused naming it, unless --force.
  const std::string path = "/etc/roux/client.yaml";
  CHECK(*decide_config(render_bootstrap_config(c), path, c, false) == ConfigAction::kKeep);
  BootstrapConfig changed = c;
  auto others2 = other_config_settings("ca_bundle: /etc/ssl/private-ca.pem\nhttp:\n  timeout: 90\n", "given.yaml");
  REQUIRE(others2.is_ok());
  changed.settings = *others2;
  auto refused = decide_config(render_bootstrap_config(c), path, changed, false);
  REQUIRE(!refused.is_ok());
  CHECK(refused.status().message().find("handlers, http, log_level, reboot: their settings differ") != std::string::npos);
  CHECK(*decide_config(render_bootstrap_config(c), path, changed, true) == ConfigAction::kOverwrite);
  // Without --config, the other settings of a kept config do not count (as before).
  CHECK(*decide_config(render_bootstrap_config(c), path, [&] { BootstrapConfig w = web(); w.git = c.git; return w; }(), false) ==
        ConfigAction::kKeep);
  CHECK(other_config_settings("", "empty.yaml")->empty());
}

}  // namespace
}  // namespace roux::cli
