#include "cli/client_config.h"

#include <filesystem>

#include "base/log.h"
#include "base/strings.h"
#include "compiler/yaml_value.h"

namespace roux::cli {

Result<ClientConfig> load_client_config(const std::string& path) {
  ClientConfig cfg;
  std::error_code ec;  // the non-throwing overloads: a path too long is an error, not an abort
  if (!std::filesystem::exists(path, ec)) return cfg;
  ROUX_ASSIGN_OR_RETURN(std::string text, compiler::read_text_file(path));
  engine::Value root;
  std::vector<Status> errors;
  if (!compiler::parse_yaml(text, path, &root, &errors)) return errors.front();
  if (root.kind == engine::Value::Kind::kNull) return cfg;
  if (root.kind != engine::Value::Kind::kMap) return Status::invalid_input("client config: expected a map", root.where);
  for (const auto& e : root.map) {
    const engine::Value& v = e.value;
    if (e.key == "policy" && v.kind == engine::Value::Kind::kScalar) {
      cfg.policy = v.scalar;
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
    } else if (e.key == "policy" || e.key == "state_dir" || e.key == "secret_key" || e.key == "sources" || e.key == "trusted_keys" ||
               e.key == "ca_bundle" || e.key == "log_level") {
      return Status::invalid_input("client config: " + e.key + ": wrong type", v.where);
    } else {
      return Status::invalid_input("client config: unknown key \"" + e.key +
                                       "\" (known: policy, sources, state_dir, trusted_keys, ca_bundle, secret_key, handlers, http, log_level)",
                                   e.key_where);
    }
  }
  return cfg;
}

}  // namespace roux::cli
