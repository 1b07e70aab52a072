#include "cli/client_config.h"

#include <filesystem>

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
    } else if (e.key == "secret_key" && v.kind == engine::Value::Kind::kScalar) {
      cfg.secret_key = v.scalar;
    } else if (e.key == "handlers") {
      ROUX_TRY(parse_handler_configs(v, &cfg.handlers));
    } else if (e.key == "policy" || e.key == "state_dir" || e.key == "secret_key" || e.key == "sources" || e.key == "trusted_keys" ||
               e.key == "ca_bundle") {
      return Status::invalid_input("client config: " + e.key + ": wrong type", v.where);
    } else {
      return Status::invalid_input("client config: unknown key \"" + e.key +
                                       "\" (known: policy, sources, state_dir, trusted_keys, ca_bundle, secret_key, handlers)",
                                   e.key_where);
    }
  }
  return cfg;
}

}  // namespace roux::cli
