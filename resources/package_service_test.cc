// Parsers of the package and service providers: dpkg status, apt-cache policy, apt-get -s,
// systemctl show. Inputs are verbatim shapes of the tools' output on Debian 12.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "resources/package_provider.h"
#include "resources/service_provider.h"

using namespace roux::resources;

TEST_CASE("parse_dpkg_status: installed, config-files, held, multi-arch") {
  const char* text =
      "Package: rouxd\nStatus: install ok installed\nPriority: optional\nVersion: 1.0-1\nDescription: d\n continued\n\n"
      "Package: old\nStatus: deinstall ok config-files\nVersion: 2.0\n\n"
      "Package: pinned\nStatus: hold ok installed\nArchitecture: amd64\nVersion: 3.1\n\n"
      "Package: libx\nStatus: purge ok not-installed\nArchitecture: i386\n\n"
      "Package: libx\nStatus: install ok installed\nArchitecture: amd64\nVersion: 9\n\n"
      "Package: half\nStatus: install ok\nVersion:  4 \n\n\n"
      "Package: spaced\nStatus:   install  ok  installed\n";
  InstalledDb db = parse_dpkg_status(text);
  CHECK_FALSE(db.at("half").present);  // no third word: no state
  CHECK(db.at("half").version == "4");
  CHECK_FALSE(db.at("spaced").installed);  // words are split at single spaces, as dpkg writes them
  CHECK(db.size() == 9);
  CHECK(db.at("rouxd").installed);
  CHECK(db.at("rouxd").version == "1.0-1");
  CHECK_FALSE(db.at("rouxd").held);
  CHECK_FALSE(db.at("old").present);
  CHECK(db.at("old").config_files);
  CHECK(db.at("pinned").held);
  CHECK(db.at("pinned:amd64").installed);
  CHECK(db.at("libx").installed);  // the installed architecture wins
  CHECK_FALSE(db.at("libx:i386").present);
}

TEST_CASE("parse_dpkg_status_of: the same entries for the names asked as a whole parse") {
  // A status file with every shape: multi-arch, two Package: lines in one stanza, Package: not
  // first, "Package:" inside a description, odd spacing, blank-line runs, no final newline.
  std::string text =
      "Package: rouxd\nStatus: install ok installed\nVersion: 1.0-1\nDescription: d\n Package: fake\n\n"
      "Status: hold ok installed\nPackage: late\nVersion: 2\n\n\n\n"
      "Package: libx\nStatus: purge ok not-installed\nArchitecture: i386\n\n"
      "Package: libx\nStatus: install ok installed\nArchitecture: amd64\nVersion: 9\n\n"
      "Package: two\nPackage: second\nStatus: install ok installed\nVersion: 3\n\n"
      "Package:   spaced  \nStatus: install ok installed\nVersion: 4\n\n"
      "XPackage: nope\nStatus: install ok installed\n\n"
      "Package: last\nStatus: install ok installed\nVersion: 5";
  // This machine's own database too, when it has one.
  std::vector<std::string> texts = {text};
  if (std::ifstream in("/var/lib/dpkg/status"); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    texts.push_back(ss.str());
  }
  const std::vector<std::string> names = {"rouxd", "fake", "late", "libx", "libx:i386", "libx:amd64", "two", "second",
                                          "spaced", "nope", "last", "absent", "bash", "libc6", "libc6:amd64", "coreutils"};
  for (const auto& t : texts) {
    const InstalledDb whole = parse_dpkg_status(t);
    for (size_t k = 0; k < names.size(); ++k) {
      // Each name alone, and all of them at once.
      for (const auto& asked : {std::vector<std::string>{names[k]}, names}) {
        const InstalledDb some = parse_dpkg_status_of(t, asked);
        for (const auto& n : asked) {
          CAPTURE(n);
          auto w = whole.find(n);
          auto s = some.find(n);
          REQUIRE((w == whole.end()) == (s == some.end()));
          if (w == whole.end()) continue;
          CHECK(s->second.name == w->second.name);
          CHECK(s->second.version == w->second.version);
          CHECK(s->second.installed == w->second.installed);
          CHECK(s->second.present == w->second.present);
          CHECK(s->second.config_files == w->second.config_files);
          CHECK(s->second.held == w->second.held);
        }
      }
    }
  }
  const InstalledDb some = parse_dpkg_status_of(text, {"late", "second", "spaced", "last"});
  CHECK(some.at("late").held);  // Package: not first in its stanza
  CHECK(some.at("second").version == "3");
  CHECK(some.count("two") == 0);
  CHECK(some.at("spaced").version == "4");
  CHECK(some.at("last").version == "5");
}

TEST_CASE("parse_apt_policy: candidates and version tables; unknown names are absent") {
  const char* text =
      "rouxd:\n  Installed: 1.0-1\n  Candidate: 1.1-1\n  Version table:\n     1.1-1 500\n"
      "        500 file:/srv/repo ./ Packages\n *** 1.0-1 500\n        500 file:/srv/repo ./ Packages\n"
      "        100 /var/lib/dpkg/status\n"
      "virt:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n";
  auto p = parse_apt_policy(text);
  REQUIRE(p.count("rouxd"));
  CHECK(p["rouxd"].candidate == "1.1-1");
  CHECK(p["rouxd"].versions == std::vector<std::string>{"1.1-1", "1.0-1"});
  CHECK(p["virt"].candidate.empty());
  CHECK_FALSE(p.count("nosuch"));
}

TEST_CASE("parse_apt_simulation: install, upgrade, remove, purge; Conf lines ignored") {
  const char* text =
      "NOTE: This is only a simulation!\n"
      "Inst librouxd (1.0-1 local [all])\n"
      "Inst rouxd [1.0-1] (1.1-1 local [all])\n"
      "Remv rouxtool [1.0-1]\n"
      "Purg old [2.0]\n"
      "Conf librouxd (1.0-1 local [all])\n";
  auto tx = parse_apt_simulation(text);
  REQUIRE(tx.size() == 4);
  CHECK(tx[0].op == "install");
  CHECK(tx[0].name == "librouxd");
  CHECK(tx[0].from.empty());
  CHECK(tx[0].to == "1.0-1");
  CHECK(tx[1].op == "upgrade");
  CHECK(tx[1].from == "1.0-1");
  CHECK(tx[1].to == "1.1-1");
  CHECK(tx[2].op == "remove");
  CHECK(tx[2].from == "1.0-1");
  CHECK(tx[3].op == "purge");
}

TEST_CASE("parse_systemctl_show: one block per unit, in order") {
  const char* text =
      "Id=rouxd.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\n"
      "Id=nosuch.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n\n"
      "Id=cron.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n";
  auto s = parse_systemctl_show(text, 3);
  REQUIRE(s.size() == 3);
  CHECK(s[0].known);
  CHECK(*s[0].running);
  CHECK(s[0].enabled);
  CHECK_FALSE(s[1].known);
  CHECK(s[2].known);
  CHECK_FALSE(*s[2].running);
  CHECK_FALSE(s[2].enabled);
}

TEST_CASE("parse_systemctl_show: static units count as enabled, generated (SysV) ones are resolved elsewhere") {
  // Debian 12: dbus.service has no [Install] section; an init script without a native unit is
  // "generated" whatever its rc links say (the provider asks `systemctl is-enabled` for those).
  const char* text =
      "Id=dbus.service\nLoadState=loaded\nActiveState=active\nUnitFileState=static\n\n"
      "Id=rouxsv.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=generated\n\n"
      "Id=getty@tty1.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\n";
  auto s = parse_systemctl_show(text, 3);
  REQUIRE(s.size() == 3);
  CHECK(s[0].enabled);
  CHECK(*s[0].running);
  CHECK(s[1].known);
  CHECK_FALSE(s[1].enabled);
  CHECK(s[2].enabled);
}
