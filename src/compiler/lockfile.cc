#include "compiler/lockfile.h"


#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/atomic_file.h"
#include "base/json.h"
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
  return json_dump(j, 2) + "\n";
}

Result<Lockfile> read_lockfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::not_found(path + ": no lockfile");
    return Status::io("open " + path, errno);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_lockfile(ss.str(), path);
}

Result<Lockfile> parse_lockfile(const std::string& text, const std::string& path) {
  auto bad = [&](const std::string& why) { return Status::invalid_input(path + ": not a valid lockfile: " + why); };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  if (!j.is_object()) return bad("expected a JSON object");
  // Every field is checked for its type before it is read: a hand-edited lockfile is an error
  // that names the field, never an exception.
  auto it = j.find("lockfile_version");
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() != kLockfileVersion)
    return bad("lockfile_version must be " + std::to_string(kLockfileVersion) + " (run `roux lock` again)");
  auto str = [&](const nlohmann::json& o, const char* key, const std::string& at, bool required,
                 std::string* out) -> Status {
    auto f = o.find(key);
    if (f == o.end()) return required ? bad(at + "\"" + key + "\" is missing") : Status::ok();
    if (!f->is_string()) return bad(at + "\"" + key + "\" must be a string, not " + f->type_name());
    *out = f->get<std::string>();
    return Status::ok();
  };
  Lockfile lock;
  ROUX_TRY(str(j, "policy", "", true, &lock.policy_name));
  ROUX_TRY(str(j, "policy_digest", "", true, &lock.policy_digest));
  auto cbs = j.find("cookbooks");
  if (cbs == j.end() || !cbs->is_array()) return bad("\"cookbooks\" must be an array");
  for (size_t i = 0; i < cbs->size(); ++i) {
    const auto& e = (*cbs)[i];
    std::string at = "cookbooks[" + std::to_string(i) + "]: ";
    if (!e.is_object()) return bad(at + "expected an object, not " + std::string(e.type_name()));
    LockedCookbook c;
    std::string version;
    ROUX_TRY(str(e, "name", at, true, &c.name));
    at = "cookbook " + c.name + ": ";
    ROUX_TRY(str(e, "version", at, true, &version));
    auto v = Version::parse(version);
    if (!v.is_ok()) return bad(at + v.status().message());
    c.version = *v;
    ROUX_TRY(str(e, "source", at, true, &c.source));
    ROUX_TRY(str(e, "sha256", at, true, &c.sha256));
    if (c.sha256.size() != 64 || c.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
      return bad(at + "sha256 must be 64 lower-case hex digits");
    ROUX_TRY(str(e, "commit", at, false, &c.commit));
    if (auto d = e.find("depends"); d != e.end()) {
      if (!d->is_object()) return bad(at + "\"depends\" must be an object of constraint strings");
      for (const auto& [n, t] : d->items()) {
        if (!t.is_string()) return bad(at + "depends: " + n + " must be a constraint string");
        c.depends[n] = t.get<std::string>();
      }
    }
    if (lock.find(c.name)) return bad("cookbook " + c.name + " is listed twice");
    lock.cookbooks.push_back(std::move(c));
  }
  return lock;
}

Status write_lockfile(const std::string& path, const Lockfile& lock) {
  // The one atomic writer: a planted LOCKFILE.tmp link is never followed.
  return write_file_atomic(path, lockfile_to_json(lock), 0644);
}

}  // namespace roux::compiler
