#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace roux::facts {

/// One network interface (getifaddrs): its addresses with prefix length ("10.0.0.5/24").
struct Interface {
  std::string name;
  std::string mac;                 // "" when the interface has none (lo)
  bool up = false;
  bool loopback = false;
  std::vector<std::string> ipv4, ipv6;
};

/// One mounted filesystem with its space (statvfs). Network filesystems are listed without
/// space figures (`has_space` false): a hung NFS server must not stall the run.
struct Filesystem {
  std::string mount_point, device, type;
  bool has_space = false;
  uint64_t size_mb = 0, available_mb = 0;
  int used_percent = 0;
};

/// What roux knows about the machine it runs on. Gathered in-process (no commands spawned) from
/// uname, /etc/os-release, /etc/hosts, /proc, /sys, getifaddrs, sysconf, sysinfo and statvfs;
/// one gatherer per group (os.cc, network.cc, hardware.cc, system.cc, filesystems.cc).
/// Plain data; unknown values stay empty or zero.
struct Facts {
  std::string hostname;
  std::string fqdn;
  struct {
    std::string id, name, version, version_id, codename, family;
  } os;
  std::string arch;
  struct {
    std::string name, release, version;
  } kernel;
  int cpus = 0;
  std::string cpu_model;
  uint64_t memory_total_mb = 0;
  uint64_t memory_available_mb = 0;
  uint64_t swap_total_mb = 0;
  std::vector<Interface> interfaces;  // sorted by name
  std::string ipv4, ipv6;             // the first global address (non-loopback), "" if none
  std::string init_system;            // "systemd" | "sysv"
  std::string package_manager;        // "apt" | "dnf" | "yum" | "zypper" | "apk" | ""
  std::string package_format;         // "deb" | "rpm" | "apk" | ""
  struct {
    std::string type;                 // "docker", "lxc", "podman", "systemd-nspawn", "kvm", "vmware", ... or ""
    std::string role;                 // "guest" when type is set, "host" otherwise
    bool container = false;           // true for container types
  } virtualization;
  std::vector<Filesystem> filesystems;  // in mount order
  uint64_t uptime_seconds = 0;
  double load[3] = {0, 0, 0};
  bool reboot_required = false;       // see gather_reboot
  std::string reboot_required_reason; // why, "" when not required
};

// One gatherer per group; each fills its part of `f` and never fails.
void gather_os(Facts& f);
void gather_network(Facts& f);
void gather_hardware(Facts& f);
void gather_system(Facts& f);
/// Filesystems with free space; gives up (listing the rest without space) after `budget_ms`.
void gather_filesystems(Facts& f, int budget_ms = 200);

/// Whether a reboot is due: /var/run/reboot-required exists, or a kernel installed under /boot
/// (vmlinuz-RELEASE) or /lib/modules (RELEASE/modules.dep) is newer than the running one.
void gather_reboot(Facts& f);
/// Pure parts, for tests: kernel releases compared with digit runs as numbers ("6.1.0-18" >
/// "6.1.0-9"); -1, 0, 1. The reason a reboot is due, "" when none.
int compare_kernel_releases(const std::string& a, const std::string& b);
std::string reboot_reason(bool flag_file, const std::string& running, const std::vector<std::string>& installed);

/// Gathers facts about the running machine. Never fails: unknown values stay empty.
Facts gather();

/// Facts as a JSON object (the shape `roux facts --format json` prints and templates see).
nlohmann::ordered_json to_json(const Facts& f);

/// The fact at a dotted path of to_json(f) ("os.version_id", "virtualization.container"), as
/// text ("true"/"false" for booleans, numbers as printed); false when there is no such fact
/// or it is not a scalar.
bool lookup(const nlohmann::ordered_json& facts_json, const std::string& dotted_path, std::string* value);

}  // namespace roux::facts
