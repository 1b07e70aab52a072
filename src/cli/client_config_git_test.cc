#include <doctest/doctest.h>

#include "cli/client_config.h"

namespace roux::cli {

TEST_CASE("client config: git: credentials, ssh key and known_hosts") {
  auto cfg = parse_client_config(
      "git:\n"
      "  netrc: /etc/roux/git.netrc\n"
      "  credential_helper: /usr/local/bin/helper --vault\n"
      "  ssh_key: /etc/roux/deploy_key\n"
      "  ssh_passphrase_file: /etc/roux/deploy_key.pass\n"
      "  known_hosts: /etc/roux/known_hosts\n",
      "client.yaml");
  REQUIRE(cfg.is_ok());
  CHECK(cfg->git.netrc == "/etc/roux/git.netrc");
  CHECK(cfg->git.credential_helper == "/usr/local/bin/helper --vault");
  CHECK(cfg->git.ssh_key == "/etc/roux/deploy_key");
  CHECK(cfg->git.ssh_passphrase_file == "/etc/roux/deploy_key.pass");
  CHECK(cfg->git.known_hosts == "/etc/roux/known_hosts");
}

TEST_CASE("client config: git: bad input at file:line:col") {
  auto unknown = parse_client_config("git:\n  password: hunter2\n", "client.yaml");
  REQUIRE_FALSE(unknown.is_ok());
  CHECK(unknown.status().to_string() ==
        "client.yaml:2:3: client config: git: unknown key \"password\" (known: netrc, credential_helper, ssh_key, "
        "ssh_passphrase_file, known_hosts)");
  auto relative = parse_client_config("git:\n  ssh_key: keys/deploy\n", "client.yaml");
  REQUIRE_FALSE(relative.is_ok());
  CHECK(relative.status().to_string() ==
        "client.yaml:2:12: client config: git: ssh_key: expected an absolute path, not \"keys/deploy\"");
  auto list = parse_client_config("git: [a]\n", "client.yaml");
  REQUIRE_FALSE(list.is_ok());
  CHECK(list.status().to_string().find("client.yaml:1:6: client config: git: expected a map") == 0);
  auto empty = parse_client_config("git:\n  netrc: \"\"\n", "client.yaml");
  REQUIRE_FALSE(empty.is_ok());
  CHECK(empty.status().to_string() == "client.yaml:2:10: client config: git: netrc: expected a file path");
}

TEST_CASE("client config: syslog: true or false, the closing record's off switch") {
  auto dflt = parse_client_config("log_level: info\n", "client.yaml");
  REQUIRE(dflt.is_ok());
  CHECK(dflt->syslog);
  auto off = parse_client_config("syslog: false\n", "client.yaml");
  REQUIRE(off.is_ok());
  CHECK_FALSE(off->syslog);
  auto on = parse_client_config("syslog: true\n", "client.yaml");
  REQUIRE(on.is_ok());
  CHECK(on->syslog);
  for (const char* bad : {"syslog: no\n", "syslog: [false]\n", "syslog: \"\"\n", "syslog: {}\n"}) {
    auto r = parse_client_config(bad, "client.yaml");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().to_string() == std::string("client.yaml:1:9: client config: syslog: expected true or false"));
  }
}

}  // namespace roux::cli
