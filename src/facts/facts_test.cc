#include "facts/facts.h"

#include <doctest/doctest.h>

#include <chrono>

namespace roux::facts {

TEST_CASE("facts: gather fills every group in-process") {
  Facts f = gather();
  CHECK(!f.hostname.empty());
  CHECK(!f.kernel.release.empty());
  CHECK(f.cpus > 0);
  CHECK(f.memory_total_mb > 0);
  CHECK((f.init_system == "systemd" || f.init_system == "sysv"));
  CHECK(f.uptime_seconds > 0);
  bool has_lo = false;
  for (const auto& i : f.interfaces)
    if (i.loopback) {
      has_lo = true;
      bool has_127 = false;
      for (const auto& a : i.ipv4) has_127 = has_127 || a.rfind("127.", 0) == 0;
      CHECK(has_127);
    }
  CHECK(has_lo);
  bool has_root = false;
  for (const auto& fs : f.filesystems)
    if (fs.mount_point == "/") {
      has_root = true;
      CHECK(fs.has_space);
      CHECK(fs.size_mb > 0);
      CHECK(fs.used_percent >= 0);
      CHECK(fs.used_percent <= 100);
    }
  CHECK(has_root);
  for (const auto& fs : f.filesystems) {
    CHECK(fs.type != "proc");
    CHECK(fs.type != "sysfs");
    CHECK(fs.type != "cgroup2");
  }
  CHECK((f.virtualization.role == "host" || f.virtualization.role == "guest"));
}

TEST_CASE("facts: gathering takes well under 10 ms") {
  (void)gather();  // warm the page cache
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) (void)gather();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 10;
  MESSAGE("facts::gather() mean: " << ms << " ms");
  CHECK(ms < 10.0);
}

TEST_CASE("facts: lookup walks dotted paths, keys with dots and slashes included") {
  nlohmann::ordered_json j = {{"os", {{"version_id", "12"}}},
                              {"cpus", 4},
                              {"virtualization", {{"container", true}}},
                              {"filesystems", {{"/", {{"used_percent", 40}}}, {"/var/lib", {{"type", "ext4"}}}}},
                              {"interfaces", {{"eth0.100", {{"up", false}}}}}};
  std::string v;
  CHECK(lookup(j, "os.version_id", &v));
  CHECK(v == "12");
  CHECK(lookup(j, "cpus", &v));
  CHECK(v == "4");
  CHECK(lookup(j, "virtualization.container", &v));
  CHECK(v == "true");
  CHECK(lookup(j, "filesystems./.used_percent", &v));
  CHECK(v == "40");
  CHECK(lookup(j, "filesystems./var/lib.type", &v));
  CHECK(v == "ext4");
  CHECK(lookup(j, "interfaces.eth0.100.up", &v));
  CHECK(v == "false");
  CHECK_FALSE(lookup(j, "os", &v));          // not a scalar
  CHECK_FALSE(lookup(j, "os.nope", &v));
  CHECK_FALSE(lookup(j, "cpus.x", &v));
}

TEST_CASE("facts: reboot_required from the flag file or a newer installed kernel") {
  CHECK(compare_kernel_releases("6.1.0-18-amd64", "6.1.0-9-amd64") > 0);
  CHECK(compare_kernel_releases("6.1.0-9-amd64", "6.1.0-18-amd64") < 0);
  CHECK(compare_kernel_releases("6.1.0-18-amd64", "6.1.0-18-amd64") == 0);
  CHECK(compare_kernel_releases("6.10.0", "6.9.12") > 0);
  CHECK(compare_kernel_releases("6.1.0-018", "6.1.0-18") == 0);
  CHECK(compare_kernel_releases("6.1.0", "6.1.0-1") < 0);
  CHECK(reboot_reason(true, "6.1.0-18-amd64", {}) == "/var/run/reboot-required exists");
  CHECK(reboot_reason(false, "6.1.0-18-amd64", {"6.1.0-13-amd64", "6.1.0-18-amd64"}) == "");
  CHECK(reboot_reason(false, "6.1.0-13-amd64", {"6.1.0-18-amd64", "6.1.0-13-amd64", "6.1.0-9-amd64"}) ==
        "the running kernel 6.1.0-13-amd64 is older than the newest installed, 6.1.0-18-amd64");
  CHECK(reboot_reason(false, "6.18.44-custom", {}) == "");
  CHECK(reboot_reason(false, "", {"6.1.0-18-amd64"}) == "");
}

}  // namespace roux::facts
