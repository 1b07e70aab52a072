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

TEST_CASE("parse_passwd / parse_group: a line whose id is not a number in range is no entry, never another id") {
  // Read loosely, "1x5" would be uid 1, "abc" and "" uid 0 (root), 4294967296 wrapped to 0.
  auto users = parse_passwd(
      "root:x:0:0:root:/root:/bin/bash\n"
      "a:x:1x5:100::/:/bin/sh\nb:x:abc:100::/:/bin/sh\nc:x::100::/:/bin/sh\nd:x:4294967296:100::/:/bin/sh\n"
      "e:x:1000:1x0::/:/bin/sh\nf:x:-1:100::/:/bin/sh\ng:x: 7:100::/:/bin/sh\n"
      "ok:x:4294967294:007::/home/ok:/bin/sh\n");
  REQUIRE(users.size() == 2);
  CHECK(users[0].name == "root");
  CHECK(users[1].name == "ok");
  CHECK(users[1].uid == 4294967294u);
  CHECK(users[1].gid == 7u);
  auto groups = parse_group("root:x:0:\nbad:x:0x10:\nwrap:x:8589934592:u\nwheel:x:10:a,b\n");
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].name == "root");
  CHECK(groups[1].name == "wheel");
  CHECK(groups[1].gid == 10u);
}

}  // namespace roux::host
