#include "compiler/lockfile.h"


#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/atomic_file.h"
#include "base/redact.h"

namespace roux::compiler {
namespace {
namespace fs = std::filesystem;
constexpr int kLockfileVersion = 1;
}  // namespace

const LockedCookbook* Lockfile::find(const std::string& name) const {
  for (const auto& c : cookbooks)
    if (c.name == name) return &c;
  return nullptr;
}

std::string lockfile_path(const std::string& policy_file) {
  fs::path p = fs::absolute(policy_file);
  std::string stem = p.stem().string();
  return (p.parent_path() / ((stem == "policy" ? std::string("policy") : stem) + ".lock.json")).string();
}

std::string lockfile_to_json(const Lockfile& lock) {
  nlohmann::ordered_json j;
  j["lockfile_version"] = kLockfileVersion;
  j["policy"] = lock.policy_name;
  j["policy_digest"] = lock.policy_digest;
  j["cookbooks"] = nlohmann::ordered_json::array();
  for (const auto& c : lock.cookbooks) {
    nlohmann::ordered_json e;
    e["name"] = c.name;
    e["version"] = c.version.to_string();
    e["source"] = redact::strip_url_credentials(c.source);  // never a password into a committed file
    e["sha256"] = c.sha256;
    if (!c.commit.empty()) e["commit"] = c.commit;
    e["depends"] = nlohmann::ordered_json::object();
    for (const auto& [n, text] : c.depends) e["depends"][n] = text;
    j["cookbooks"].push_back(e);
  }
  return j.dump(2) + "\n";
}

Result<Lockfile> read_lockfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::not_found(path + ": no lockfile");
    return Status::io("open " + path, errno);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto bad = [&](const std::string& why) { return Status::invalid_input(path + ": not a valid lockfile: " + why); };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  if (!j.is_object()) return bad("expected a JSON object");
  if (j.value("lockfile_version", 0) != kLockfileVersion)
    return bad("lockfile_version must be " + std::to_string(kLockfileVersion) + " (run `roux lock` again)");
  Lockfile lock;
  try {
    lock.policy_name = j.at("policy").get<std::string>();
    lock.policy_digest = j.at("policy_digest").get<std::string>();
    for (const auto& e : j.at("cookbooks")) {
      LockedCookbook c;
      c.name = e.at("name").get<std::string>();
      auto v = Version::parse(e.at("version").get<std::string>());
      if (!v.is_ok()) return bad("cookbook " + c.name + ": " + v.status().message());
      c.version = *v;
      c.source = e.at("source").get<std::string>();
      c.sha256 = e.at("sha256").get<std::string>();
      if (c.sha256.size() != 64 || c.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
        return bad("cookbook " + c.name + ": sha256 must be 64 lower-case hex digits");
      if (e.contains("commit")) c.commit = e.at("commit").get<std::string>();
      if (e.contains("depends"))
        for (const auto& [n, t] : e.at("depends").items()) c.depends[n] = t.get<std::string>();
      if (lock.find(c.name)) return bad("cookbook " + c.name + " is listed twice");
      lock.cookbooks.push_back(std::move(c));
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return lock;
}

Status write_lockfile(const std::string& path, const Lockfile& lock) {
  // The one atomic writer: a planted LOCKFILE.tmp link is never followed.
  return write_file_atomic(path, lockfile_to_json(lock), 0644);
}

}  // namespace roux::compiler
