#include "cli/client_config.h"

#include <filesystem>

#include "base/log.h"
#include "base/strings.h"
#include "compiler/yaml_value.h"

namespace roux::cli {

std::optional<int64_t> parse_duration_seconds(std::string_view t) {
  if (t.empty() || t.size() > 12) return std::nullopt;
  int64_t unit = 1;
  switch (t.back()) {
    case 's': unit = 1; t.remove_suffix(1); break;
    case 'm': unit = 60; t.remove_suffix(1); break;
    case 'h': unit = 3600; t.remove_suffix(1); break;
    case 'd': unit = 86400; t.remove_suffix(1); break;
    case 'w': unit = 7 * 86400; t.remove_suffix(1); break;
    default: break;
  }
  if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int64_t n = std::stoll(std::string(t)) * unit;
  if (n < 1 || n > int64_t(10) * 366 * 86400) return std::nullopt;
  return n;
}

Result<ClientConfig> load_client_config(const std::string& path) {
  ClientConfig cfg;
  std::error_code ec;  // the non-throwing overloads: a path too long is an error, not an abort
  if (!std::filesystem::exists(path, ec)) return cfg;
  ROUX_ASSIGN_OR_RETURN(std::string text, compiler::read_text_file(path));
  return parse_client_config(text, path);
}

Result<ClientConfig> parse_client_config(const std::string& text, const std::string& path) {
  ClientConfig cfg;
  engine::Value root;
  std::vector<Status> errors;
  if (!compiler::parse_yaml(text, path, &root, &errors)) return errors.front();
  if (root.kind == engine::Value::Kind::kNull) return cfg;
  if (root.kind != engine::Value::Kind::kMap) return Status::invalid_input("client config: expected a map", root.where);
  for (const auto& e : root.map) {
    const engine::Value& v = e.value;
    if (e.key == "policy" && v.kind == engine::Value::Kind::kScalar) {
      cfg.policy = v.scalar;
    } else if (e.key == "policy_name" && v.kind == engine::Value::Kind::kScalar) {
      cfg.policy_name = v.scalar;
    } else if (e.key == "policy_group" && v.kind == engine::Value::Kind::kScalar) {
      cfg.policy_group = v.scalar;
    } else if (e.key == "state_dir" && v.kind == engine::Value::Kind::kScalar) {
      cfg.state_dir = v.scalar;
    } else if ((e.key == "sources" || e.key == "trusted_keys") && v.kind == engine::Value::Kind::kList) {
      for (const auto& s : v.list) {
        if (s.kind != engine::Value::Kind::kScalar)
          return Status::invalid_input("client config: " + e.key + ": each item must be a string", s.where);
        (e.key == "sources" ? cfg.sources : cfg.trusted_keys).push_back(s.scalar);
      }
    } else if (e.key == "ca_bundle" && v.kind == engine::Value::Kind::kScalar) {
      cfg.ca_bundle = v.scalar;
    } else if (e.key == "log_level" && v.kind == engine::Value::Kind::kScalar) {
      if (!log::parse_level(v.scalar))
        return Status::invalid_input("client config: log_level: expected debug, info, warn or error, not \"" +
                                         one_line(v.scalar, 40) + "\"",
                                     v.where);
      cfg.log_level = v.scalar;
    } else if (e.key == "syslog") {
      // The closing syslog record of a run outside systemd (docs/output.md "Elsewhere: syslog").
      if (v.kind != engine::Value::Kind::kScalar || (v.scalar != "true" && v.scalar != "false"))
        return Status::invalid_input("client config: syslog: expected true or false", v.where);
      cfg.syslog = v.scalar == "true";
    } else if (e.key == "secret_key" && v.kind == engine::Value::Kind::kScalar) {
      cfg.secret_key = v.scalar;
    } else if (e.key == "handlers") {
      ROUX_TRY(parse_handler_configs(v, &cfg.handlers));
    } else if (e.key == "http") {
      if (v.kind != engine::Value::Kind::kMap) return Status::invalid_input("client config: http: expected a map", v.where);
      for (const auto& h : v.map) {
        long* field = h.key == "timeout"           ? &cfg.http.timeout_s
                      : h.key == "connect_timeout" ? &cfg.http.connect_timeout_s
                      : h.key == "low_speed_limit" ? &cfg.http.low_speed_bytes
                      : h.key == "low_speed_time"  ? &cfg.http.low_speed_time_s
                                                   : nullptr;
        if (!field)
          return Status::invalid_input("client config: http: unknown key \"" + h.key +
                                           "\" (known: timeout, connect_timeout, low_speed_limit, low_speed_time)",
                                       h.key_where);
        long n = -1;
        const std::string& t = h.value.scalar;
        if (h.value.kind == engine::Value::Kind::kScalar && !t.empty() && t.size() < 10 &&
            t.find_first_not_of("0123456789") == std::string::npos)
          n = std::stol(t);
        bool zero_ok = h.key == "low_speed_limit";  // 0 turns the low-speed check off
        if (n < 0 || (n == 0 && !zero_ok))
          return Status::invalid_input("client config: http: " + h.key + ": expected a whole number of " +
                                           (h.key == "low_speed_limit" ? "bytes per second" : "seconds") +
                                           (zero_ok ? "" : " (at least 1)"),
                                       h.value.where);
        *field = n;
      }
    } else if (e.key == "git") {
      // Private git sources (docs/sources-and-lockfile.md "Private sources"): absolute paths, as
      // cron and systemd start roux in /.
      if (v.kind != engine::Value::Kind::kMap)
        return Status::invalid_input("client config: git: expected a map such as {netrc: /etc/roux/git.netrc}", v.where);
      for (const auto& g : v.map) {
        std::string* field = g.key == "netrc"                 ? &cfg.git.netrc
                             : g.key == "credential_helper"   ? &cfg.git.credential_helper
                             : g.key == "ssh_key"             ? &cfg.git.ssh_key
                             : g.key == "ssh_passphrase_file" ? &cfg.git.ssh_passphrase_file
                             : g.key == "known_hosts"         ? &cfg.git.known_hosts
                                                              : nullptr;
        if (!field)
          return Status::invalid_input("client config: git: unknown key \"" + g.key +
                                           "\" (known: netrc, credential_helper, ssh_key, ssh_passphrase_file, known_hosts)",
                                       g.key_where);
        if (g.value.kind != engine::Value::Kind::kScalar || g.value.scalar.empty())
          return Status::invalid_input("client config: git: " + g.key + ": expected " +
                                           (g.key == "credential_helper" ? "a command" : "a file path"),
                                       g.value.where);
        if (g.key != "credential_helper" && g.value.scalar[0] != '/')
          return Status::invalid_input("client config: git: " + g.key + ": expected an absolute path, not \"" +
                                           one_line(g.value.scalar, 60) + "\"",
                                       g.value.where);
        *field = g.value.scalar;
      }
    } else if (e.key == "apt_update") {
      if (v.kind != engine::Value::Kind::kMap)
        return Status::invalid_input("client config: apt_update: expected a map such as {max_age: 1d}", v.where);
      for (const auto& a : v.map) {
        if (a.key != "max_age")
          return Status::invalid_input("client config: apt_update: unknown key \"" + a.key + "\" (known: max_age)",
                                       a.key_where);
        auto s = a.value.kind == engine::Value::Kind::kScalar ? parse_duration_seconds(a.value.scalar) : std::nullopt;
        if (!s)
          return Status::invalid_input("client config: apt_update: max_age: expected a duration such as 30m, 12h, 1d "
                                       "or a number of seconds (1 s to 10 years)",
                                       a.value.where);
        cfg.apt_update_max_age_s = *s;
      }
    } else if (e.key == "reboot") {
      // Whether a converge may reboot the host at its end (reboot resources with action: reboot):
      // never unless the host's operator says so here.
      if (v.kind != engine::Value::Kind::kMap)
        return Status::invalid_input("client config: reboot: expected a map such as {allow: true}", v.where);
      for (const auto& r : v.map) {
        if (r.key == "allow") {
          const std::string& b = r.value.scalar;
          if (r.value.kind != engine::Value::Kind::kScalar || (b != "true" && b != "false"))
            return Status::invalid_input("client config: reboot: allow: expected true or false", r.value.where);
          cfg.reboot.allow = b == "true";
        } else if (r.key == "command") {
          bool ok = r.value.kind == engine::Value::Kind::kList && !r.value.list.empty();
          for (const auto& a : r.value.list) ok = ok && a.kind == engine::Value::Kind::kScalar && !has_control_char(a.scalar);
          if (!ok || r.value.list.front().scalar.empty() || r.value.list.front().scalar[0] != '/')
            return Status::invalid_input("client config: reboot: command: expected a list of arguments starting "
                                         "with an absolute path, such as [/usr/local/sbin/drain-and-reboot, --now]",
                                         r.value.where);
          for (const auto& a : r.value.list) cfg.reboot.command.push_back(a.scalar);
        } else {
          return Status::invalid_input("client config: reboot: unknown key \"" + r.key + "\" (known: allow, command)",
                                       r.key_where);
        }
      }
    } else if (e.key == "policy" || e.key == "policy_name" || e.key == "policy_group" || e.key == "state_dir" || e.key == "secret_key" || e.key == "sources" || e.key == "trusted_keys" ||
               e.key == "ca_bundle" || e.key == "log_level") {
      return Status::invalid_input("client config: " + e.key + ": wrong type", v.where);
    } else {
      return Status::invalid_input("client config: unknown key \"" + e.key +
                                       "\" (known: policy, policy_name, policy_group, sources, state_dir, trusted_keys, ca_bundle, secret_key, handlers, http, git, apt_update, log_level, reboot, syslog)",
                                   e.key_where);
    }
  }
  if (!cfg.policy.empty() && !cfg.policy_name.empty())
    return Status::invalid_input("client config: set policy (a policy file) or policy_name (a published policy), not both",
                                 root.where);
  if (!cfg.policy_group.empty() && cfg.policy_name.empty())
    return Status::invalid_input("client config: policy_group needs policy_name (the published policy it selects from)",
                                 root.where);
  return cfg;
}

}  // namespace roux::cli
