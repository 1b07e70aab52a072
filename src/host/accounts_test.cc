#include <doctest/doctest.h>

#include "host/host.h"

namespace roux::host {

TEST_CASE("parse_passwd: fields, and skipped lines") {
  auto users = parse_passwd(
      "root:x:0:0:root:/root:/bin/bash\n"
      "# a comment\n"
      "\n"
      "+nisuser::::::\n"
      "short:x:1\n"
      "alice:x:1001:1002:Alice A,,,:/home/alice:/bin/sh\n"
      "nologin:x:65534:65534::/nonexistent:");
  REQUIRE(users.size() == 3);
  CHECK(users[0].name == "root");
  CHECK(users[1].name == "alice");
  CHECK(users[1].uid == 1001);
  CHECK(users[1].gid == 1002);
  CHECK(users[1].gecos == "Alice A,,,");
  CHECK(users[1].home == "/home/alice");
  CHECK(users[1].shell == "/bin/sh");
  CHECK(users[2].shell == "");
}

TEST_CASE("parse_group: members list") {
  auto groups = parse_group("sudo:x:27:alice,bob\nempty:x:100:\nbad:x\n");
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].gid == 27);
  CHECK(groups[0].members == std::vector<std::string>{"alice", "bob"});
  CHECK(groups[1].members.empty());
}

TEST_CASE("parse_shadow: name and hash only; lookups") {
  AccountDb db;
  db.shadow = parse_shadow(
      "root:*:19000:0:99999:7:::\n"
      "alice:$y$j9T$abc$def:19500:0:99999:7:::\n"
      "locked:!:19500::::::\n"
      "nopass::19500::::::\n");
  REQUIRE(db.shadow.size() == 4);
  CHECK(db.shadow_entry("alice")->password == "$y$j9T$abc$def");
  CHECK(db.shadow_entry("locked")->password == "!");
  CHECK(db.shadow_entry("nopass")->password == "");
  CHECK(db.shadow_entry("bob") == nullptr);
}

}  // namespace roux::host
