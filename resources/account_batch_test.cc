#include "resources/account_batch.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "resources/shadow_tool.h"

namespace roux::resources {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

struct TempRoot {
  fs::path dir;
  TempRoot() {
    char tmpl[] = "/tmp/roux-acctpass.XXXXXX";
    dir = mkdtemp(tmpl);
    put(dir / "etc/passwd", "root:x:0:0:root:/root:/bin/bash\nodd line kept\nalice:x:1000:1000::/home/alice:/bin/sh\n");
    put(dir / "etc/shadow", "root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n");
    put(dir / "etc/group", "root:x:0:\nstaff:x:50:alice\nalice:x:1000:\nsys9:x:999:\n");
    put(dir / "etc/gshadow", "root:*::\nstaff:!::alice\nalice:!::\n");
    put(dir / "etc/subuid", "alice:100000:65536\n");
    put(dir / "etc/subgid", "alice:100000:65536\n");
    put(dir / "etc/login.defs", "UID_MIN 1000\nUID_MAX 60000\nGID_MIN 1000\nGID_MAX 60000\nUSERGROUPS_ENAB yes\n"
                                "PASS_MIN_DAYS 0\nPASS_MAX_DAYS 99999\nPASS_WARN_AGE 7\nUMASK 022\n");
    put(dir / "etc/default/useradd", "SHELL=/bin/sh\n");
    put(dir / "etc/skel/.profile", "# profile\n");
    fs::create_directories(dir / "home");
  }
  ~TempRoot() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("AccountPass: users staged in order, written once, as useradd makes them") {
  if (geteuid() != 0) return;  // chown to the new users needs root
  TempRoot t;
  auto host = host::make_posix_host(t.dir.string());
  REQUIRE(host.is_ok());
  REQUIRE(!account_batch_unsupported(**host));
  auto pass = AccountPass::open(**host, 1000);
  REQUIRE(pass.is_ok());
  NewUser a;
  a.name = "bob";
  a.manage_home = true;
  a.groups = {"staff"};
  CHECK((*pass)->stage(a).is_ok());
  NewUser b;
  b.name = "carol";
  b.uid = 1500;
  b.comment = "Carol C";
  CHECK((*pass)->stage(b).is_ok());
  CHECK((*pass)->stage_password("carol", "$6$x$y").is_ok());
  NewUser s;
  s.name = "daemon1";
  s.system = true;
  CHECK((*pass)->stage(s).is_ok());
  // Refused as useradd would, nothing staged.
  NewUser dup;
  dup.name = "dave";
  dup.uid = 1500;
  CHECK((*pass)->stage(dup).message() == "uid: 1500 is already used by user \"carol\"");
  NewUser taken;
  taken.name = "alice";
  CHECK((*pass)->stage(taken).message() == "user \"alice\" already exists");
  NewUser nogroup;
  nogroup.name = "erin";
  nogroup.groups = {"nope"};
  CHECK((*pass)->stage(nogroup).message() == "groups: no such group \"nope\"");
  REQUIRE((*pass)->commit().is_ok());
  pass->reset();
  REQUIRE((*host)->sync_changed_dirs().is_ok());  // the skeleton's files are put in place in one pass

  std::string today = std::to_string(std::time(nullptr) / 86400);
  CHECK(slurp(t.dir / "etc/passwd") ==
        "root:x:0:0:root:/root:/bin/bash\nodd line kept\nalice:x:1000:1000::/home/alice:/bin/sh\n"
        "bob:x:1001:1001::/home/bob:/bin/sh\ncarol:x:1500:1500:Carol C:/home/carol:/bin/sh\n"
        "daemon1:x:999:998::/home/daemon1:/bin/sh\n");
  CHECK(slurp(t.dir / "etc/shadow") == "root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n"
                                      "bob:!:" + today + ":0:99999:7:::\ncarol:$6$x$y:" + today +
                                          ":0:99999:7:::\ndaemon1:!:" + today + "::::::\n");
  CHECK(slurp(t.dir / "etc/group") ==
        "root:x:0:\nstaff:x:50:alice,bob\nalice:x:1000:\nsys9:x:999:\nbob:x:1001:\ncarol:x:1500:\ndaemon1:x:998:\n");
  CHECK(slurp(t.dir / "etc/gshadow") ==
        "root:*::\nstaff:!::alice,bob\nalice:!::\nbob:!::\ncarol:!::\ndaemon1:!::\n");
  CHECK(slurp(t.dir / "etc/subuid") == "alice:100000:65536\nbob:165536:65536\ncarol:231072:65536\n");
  CHECK(slurp(t.dir / "etc/passwd-") ==
        "root:x:0:0:root:/root:/bin/bash\nodd line kept\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  CHECK(slurp(t.dir / "home/bob/.profile") == "# profile\n");
  CHECK((fs::status(t.dir / "home/bob").permissions() & fs::perms::all) == fs::perms(0755));
  CHECK(!fs::exists(t.dir / "home/carol"));  // no manage_home
}

TEST_CASE("account_batch_unsupported: what goes through useradd") {
  TempRoot t;
  auto host = host::make_posix_host(t.dir.string());
  REQUIRE(host.is_ok());
  CHECK(!account_batch_unsupported(**host));
  put(t.dir / "etc/nsswitch.conf", "passwd: files systemd\ngroup: files [SUCCESS=merge] systemd\n");
  CHECK(!account_batch_unsupported(**host));
  put(t.dir / "etc/nsswitch.conf", "passwd: files ldap\n");
  CHECK(account_batch_unsupported(**host).value_or("") == "nsswitch.conf names \"ldap\" for passwd");
  put(t.dir / "etc/nsswitch.conf", "passwd: files\n");
  put(t.dir / "etc/default/useradd", "SHELL=/bin/sh\nCREATE_MAIL_SPOOL=yes\n");
  CHECK(account_batch_unsupported(**host).value_or("") == "/etc/default/useradd sets CREATE_MAIL_SPOOL");
}

TEST_CASE("read_shadow_defs: GROUP= is a gid or a group's name, never read loosely (\"abc\" or 4294967296 is not gid 0)") {
  TempRoot t;
  auto host = host::make_posix_host(t.dir.string());
  REQUIRE(host.is_ok());
  const std::vector<std::pair<std::string, uint32_t>> cases = {
      {"GROUP=50\n", 50},       {"GROUP=staff\n", 50},  {"GROUP= 1000 \n", 1000}, {"GROUP=abc\n", 100},
      {"GROUP=4294967296\n", 100}, {"GROUP=1x5\n", 100}, {"GROUP=-1\n", 100},     {"GROUP=\n", 100}};
  for (const auto& [text, gid] : cases) {
    CAPTURE(text);
    put(t.dir / "etc/default/useradd", "SHELL=/bin/sh\n" + text);
    CHECK(read_shadow_defs(**host).group == gid);
  }
}

TEST_CASE("read_shadow_defs: SHELL= or HOME= with a ':' or a control character, or a relative HOME=, is ignored") {
  TempRoot t;
  auto host = host::make_posix_host(t.dir.string());
  REQUIRE(host.is_ok());
  put(t.dir / "etc/default/useradd", "SHELL=/bin/zsh\nHOME=/users\n");
  CHECK(read_shadow_defs(**host).shell == "/bin/zsh");
  CHECK(read_shadow_defs(**host).home == "/users");
  put(t.dir / "etc/default/useradd", "SHELL=/bin/sh:0:0\nHOME=/h:x\n");
  CHECK(read_shadow_defs(**host).shell == "/bin/bash");
  CHECK(read_shadow_defs(**host).home == "/home");
  put(t.dir / "etc/default/useradd", "HOME=xroot\nSHELL=sh\n");  // a relative home; a relative shell is only a bad shell
  CHECK(read_shadow_defs(**host).home == "/home");
  CHECK(read_shadow_defs(**host).shell == "sh");
  put(t.dir / "etc/default/useradd", std::string("SHELL=/bin/sh\x01x\nHOME=/h\x7f\n"));
  CHECK(read_shadow_defs(**host).shell == "/bin/bash");
  CHECK(read_shadow_defs(**host).home == "/home");
}

}  // namespace roux::resources
