#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace roux::facts {

/// What roux knows about the machine it runs on. Gathered in-process (no commands spawned) from
/// uname, /etc/os-release, /etc/hosts, sysconf and sysinfo. Plain data.
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
  uint64_t memory_total_mb = 0;
};

/// Gathers facts about the running machine. Never fails: unknown values stay empty.
Facts gather();

/// Facts as a JSON object (the shape `roux facts --format json` prints and templates see).
nlohmann::ordered_json to_json(const Facts& f);

}  // namespace roux::facts
