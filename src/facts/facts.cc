#include "facts/facts.h"

#include <cmath>

#include "base/strings.h"

namespace roux::facts {

Facts gather() {
  Facts f;
  gather_os(f);
  gather_hardware(f);
  gather_network(f);
  gather_system(f);
  gather_filesystems(f);
  gather_reboot(f);  // after gather_os: it compares with the running kernel's release
  return f;
}

nlohmann::ordered_json to_json(const Facts& f) {
  nlohmann::ordered_json j;
  j["hostname"] = f.hostname;
  j["fqdn"] = f.fqdn;
  j["os"] = {{"id", f.os.id},           {"name", f.os.name},         {"version", f.os.version},
             {"version_id", f.os.version_id}, {"codename", f.os.codename}, {"family", f.os.family}};
  j["arch"] = f.arch;
  j["kernel"] = {{"name", f.kernel.name}, {"release", f.kernel.release}, {"version", f.kernel.version}};
  j["cpus"] = f.cpus;
  j["cpu_model"] = f.cpu_model;
  j["memory"] = {{"total_mb", f.memory_total_mb},
                 {"available_mb", f.memory_available_mb},
                 {"swap_total_mb", f.swap_total_mb}};
  j["ipv4"] = f.ipv4;
  j["ipv6"] = f.ipv6;
  nlohmann::ordered_json ifs = nlohmann::ordered_json::object();
  for (const auto& i : f.interfaces)
    ifs[i.name] = {{"mac", i.mac}, {"up", i.up}, {"loopback", i.loopback}, {"ipv4", i.ipv4}, {"ipv6", i.ipv6}};
  j["interfaces"] = ifs;
  j["init_system"] = f.init_system;
  j["package_manager"] = f.package_manager;
  j["package_format"] = f.package_format;
  j["virtualization"] = {{"type", f.virtualization.type},
                         {"role", f.virtualization.role},
                         {"container", f.virtualization.container}};
  nlohmann::ordered_json fss = nlohmann::ordered_json::object();
  for (const auto& fs : f.filesystems) {
    nlohmann::ordered_json o{{"device", fs.device}, {"type", fs.type}};
    if (fs.has_space) {
      o["size_mb"] = fs.size_mb;
      o["available_mb"] = fs.available_mb;
      o["used_percent"] = fs.used_percent;
    }
    fss[fs.mount_point] = o;
  }
  j["filesystems"] = fss;
  j["uptime_seconds"] = f.uptime_seconds;
  auto round2 = [](double d) { return std::round(d * 100) / 100; };
  j["load"] = {{"1m", round2(f.load[0])}, {"5m", round2(f.load[1])}, {"15m", round2(f.load[2])}};
  j["reboot_required"] = f.reboot_required;
  j["reboot_required_reason"] = f.reboot_required_reason;
  return j;
}

bool lookup(const nlohmann::ordered_json& facts_json, const std::string& dotted_path, std::string* value) {
  const nlohmann::ordered_json* cur = &facts_json;
  // Keys may themselves hold dots ("filesystems./" is fine, but an interface "eth0.100" is
  // not split wrongly): try the longest key that matches at each level.
  std::string rest = dotted_path;
  while (!rest.empty()) {
    if (!cur->is_object()) return false;
    std::vector<size_t> cuts{rest.size()};
    for (size_t p = rest.rfind('.'); p != std::string::npos && p > 0; p = rest.rfind('.', p - 1)) cuts.push_back(p);
    bool found = false;
    for (size_t end : cuts) {
      std::string key = rest.substr(0, end);
      if (cur->contains(key)) {
        cur = &(*cur)[key];
        rest = end == rest.size() ? "" : rest.substr(end + 1);
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  if (cur->is_string()) *value = cur->get<std::string>();
  else if (cur->is_boolean()) *value = cur->get<bool>() ? "true" : "false";
  else if (cur->is_number()) *value = cur->dump();
  else return false;
  return true;
}

}  // namespace roux::facts
