// roux bootstrap's client config (bootstrap.h): the client.yaml it writes (its own settings, the
// git: block and the other settings of --config), and whether an existing one is kept, replaced
// or refused.
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cli/bootstrap.h"
#include "cli/client_config.h"

namespace roux::cli {

/// client.yaml `git:` keys and their values, in the order they are written.
static std::vector<std::pair<std::string, std::string>> git_settings(const sources::GitOptions& g) {
  return {{"netrc", g.netrc},
          {"credential_helper", g.credential_helper},
          {"ssh_key", g.ssh_key},
          {"ssh_passphrase_file", g.ssh_passphrase_file},
          {"known_hosts", g.known_hosts}};
}

std::string render_bootstrap_config(const BootstrapConfig& c) {
  std::string out =
      "# Written by `roux bootstrap`. roux converge runs the published policy below: fetched from\n"
      "# the first source on every run, verified against the trusted keys (docs/bootstrap.md).\n"
      "sources:\n  - " + c.source + "\n"
      "policy_name: " + c.policy_name + "\n";
  if (!c.policy_group.empty()) out += "policy_group: " + c.policy_group + "\n";
  out += "trusted_keys:\n";
  for (const auto& k : c.trusted_keys) out += "  - " + k + "\n";
  // Quoted as JSON strings (valid YAML): a helper command may hold any character.
  std::string git;
  for (const auto& [key, value] : git_settings(c.git))
    if (!value.empty()) git += "  " + key + ": " + nlohmann::json(value).dump() + "\n";
  if (!git.empty()) out += "git:\n" + git;
  if (!c.settings.empty()) {
    out += "# From the client config given to `roux bootstrap --config`:\n";
    for (const auto& [key, yaml] : c.settings) out += yaml;
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> other_config_settings(const std::string& text,
                                                                                 const std::string& path) {
  static const std::set<std::string> own = {"sources", "policy", "policy_name", "policy_group", "trusted_keys", "git"};
  std::vector<std::pair<std::string, std::string>> out;
  try {  // yaml-cpp throws; the text was already checked by parse_client_config
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) return out;
    if (!root.IsMap()) return Status::invalid_input(path + ": a client config is a mapping");
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (own.count(key)) continue;
      YAML::Emitter e;
      e << YAML::BeginMap << YAML::Key << key << YAML::Value << kv.second << YAML::EndMap;
      if (!e.good()) return Status::invalid_input(path + ": " + key + ": " + e.GetLastError());
      out.emplace_back(key, std::string(e.c_str()) + "\n");
    }
  } catch (const YAML::Exception& ex) {
    return Status::invalid_input(path + ": " + ex.what());
  }
  return out;
}

Result<ConfigAction> decide_config(const std::optional<std::string>& existing, const std::string& path,
                                   const BootstrapConfig& want, bool force) {
  if (!existing) return ConfigAction::kWrite;
  if (*existing == render_bootstrap_config(want)) return ConfigAction::kKeep;
  std::vector<std::string> diffs;
  auto have = parse_client_config(*existing, path);
  if (have.is_ok() && have->policy.empty() && have->policy_name.empty() && have->sources.empty() &&
      have->trusted_keys.empty() && have->state_dir.empty() && have->ca_bundle.empty() && have->secret_key.empty() &&
      have->handlers.empty() && git_settings(have->git) == git_settings({}))
    return ConfigAction::kWrite;  // only comments (the package's example): nothing to lose
  if (!have.is_ok()) {
    diffs.push_back("it does not parse (" + have.status().to_string() + ")");
  } else {
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return "[" + s + "]";
    };
    auto same_set = [](std::vector<std::string> a, std::vector<std::string> b) {
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      a.erase(std::unique(a.begin(), a.end()), a.end());
      b.erase(std::unique(b.begin(), b.end()), b.end());
      return a == b;
    };
    if (have->sources != std::vector<std::string>{want.source})
      diffs.push_back("sources: it has " + list(have->sources) + ", bootstrap would write [" + want.source + "]");
    if (!have->policy.empty()) diffs.push_back("policy: it runs the policy file " + have->policy);
    else if (have->policy_name != want.policy_name)
      diffs.push_back("policy_name: it has \"" + have->policy_name + "\", bootstrap would write \"" + want.policy_name + "\"");
    if (have->policy_group != want.policy_group)
      diffs.push_back("policy_group: it has \"" + have->policy_group + "\", bootstrap would write \"" + want.policy_group +
                      "\"");
    if (git_settings(have->git) != git_settings(want.git))
      diffs.push_back("git: its settings differ from those of bootstrap --config");
    if (want.from_config) {
      auto others = other_config_settings(*existing, path);
      std::map<std::string, std::string> a, b;
      if (others.is_ok()) a.insert(others->begin(), others->end());
      b.insert(want.settings.begin(), want.settings.end());
      std::set<std::string> keys;
      for (const auto& [k, v] : a) keys.insert(k);
      for (const auto& [k, v] : b) keys.insert(k);
      std::vector<std::string> differ;
      for (const auto& k : keys)
        if (!a.count(k) || !b.count(k) || a[k] != b[k]) differ.push_back(k);
      if (!differ.empty()) {
        std::string names;
        for (const auto& k : differ) names += (names.empty() ? "" : ", ") + k;
        diffs.push_back(names + ": " + (differ.size() == 1 ? "its setting differs" : "their settings differ") +
                        " from those of bootstrap --config");
      }
    }
    if (!same_set(have->trusted_keys, want.trusted_keys))
      diffs.push_back("trusted_keys: it has " + list(have->trusted_keys) + ", bootstrap would write " +
                      list(want.trusted_keys));
  }
  if (diffs.empty()) return ConfigAction::kKeep;
  if (force) return ConfigAction::kOverwrite;
  std::string msg = path + " exists and differs from what bootstrap would write:";
  for (const auto& d : diffs) msg += "\n    " + d;
  msg += "\n  nothing was changed; pass --force to replace it (its other settings are lost), or edit it";
  return Status::conflict(msg);
}

}  // namespace roux::cli
