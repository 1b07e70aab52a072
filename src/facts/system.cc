// Facts: init system, package manager, virtualisation/container detection. Only file reads:
// /run/systemd/system, package manager binaries, /.dockerenv, /run/.containerenv,
// /run/systemd/container, /proc/1/cgroup, /proc/cpuinfo flags and /sys/class/dmi/id.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "facts/facts.h"

namespace roux::facts {
namespace {

bool exists(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0;
}

/// First line of a small file, trimmed; "" when unreadable.
std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return std::string(trim(line));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The container technology we run in, or "".
std::string detect_container() {
  // systemd writes the container manager's name here for every container it knows about.
  std::string c = first_line("/run/systemd/container");
  if (!c.empty()) return c == "oci" ? "docker" : c;
  if (exists("/.dockerenv")) return "docker";
  if (exists("/run/.containerenv")) return "podman";
  std::ifstream cg("/proc/1/cgroup");
  std::string line;
  while (std::getline(cg, line)) {
    if (line.find("/docker") != std::string::npos) return "docker";
    if (line.find("/kubepods") != std::string::npos) return "kubernetes";
    if (line.find("/lxc") != std::string::npos) return "lxc";
    if (line.find("libpod") != std::string::npos) return "podman";
  }
  return "";
}

/// The hypervisor under us (DMI vendor strings), "vm" when only the cpu flag says so, or "".
std::string detect_hypervisor() {
  bool flag = false;
  if (FILE* c = std::fopen("/proc/cpuinfo", "re")) {
    char line[4096];
    while (std::fgets(line, sizeof line, c)) {
      if (line[0] == '\n') break;
      if (std::strncmp(line, "flags", 5) == 0) {
        flag = std::strstr(line, " hypervisor") != nullptr;
        break;
      }
    }
    std::fclose(c);
  }
  std::string dmi = lower(first_line("/sys/class/dmi/id/sys_vendor") + " " +
                          first_line("/sys/class/dmi/id/product_name") + " " +
                          first_line("/sys/class/dmi/id/bios_vendor"));
  struct Sig {
    const char* needle;
    const char* type;
  };
  static const Sig kSigs[] = {{"qemu", "kvm"},        {"kvm", "kvm"},          {"amazon ec2", "kvm"},
                              {"google", "kvm"},      {"vmware", "vmware"},    {"virtualbox", "virtualbox"},
                              {"innotek", "virtualbox"}, {"xen", "xen"},       {"microsoft corporation", "hyperv"},
                              {"parallels", "parallels"}, {"bochs", "bochs"}};
  for (const auto& s : kSigs)
    if (dmi.find(s.needle) != std::string::npos && (flag || std::strcmp(s.type, "kvm") != 0 || dmi.find("kvm") != std::string::npos))
      return s.type;
  if (exists("/proc/xen")) return "xen";
  return flag ? "vm" : "";
}

}  // namespace

void gather_system(Facts& f) {
  // systemd's own test (sd_booted): this folder exists only when systemd is PID 1.
  f.init_system = exists("/run/systemd/system") ? "systemd" : "sysv";

  if (exists("/usr/bin/apt-get") || exists("/usr/bin/dpkg")) {
    f.package_manager = "apt";
    f.package_format = "deb";
  } else if (exists("/usr/bin/dnf")) {
    f.package_manager = "dnf";
    f.package_format = "rpm";
  } else if (exists("/usr/bin/yum")) {
    f.package_manager = "yum";
    f.package_format = "rpm";
  } else if (exists("/usr/bin/zypper")) {
    f.package_manager = "zypper";
    f.package_format = "rpm";
  } else if (exists("/sbin/apk")) {
    f.package_manager = "apk";
    f.package_format = "apk";
  }

  std::string container = detect_container();
  if (!container.empty()) {
    f.virtualization.type = container;
    f.virtualization.container = true;
  } else {
    f.virtualization.type = detect_hypervisor();
  }
  f.virtualization.role = f.virtualization.type.empty() ? "host" : "guest";
}

}  // namespace roux::facts
