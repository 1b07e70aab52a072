#include "compiler/verify_checks.h"

#include <string>

#include "host/host.h"

namespace roux::compiler {

void parse_verify_checks(const engine::Value& list, const std::string& cookbook, const std::string& recipe,
                         std::vector<engine::VerifyCheck>* out, std::vector<Status>* errors) {
  using engine::Value;
  using Kind = engine::VerifyCheck::Kind;
  if (list.kind == Value::Kind::kNull) return;
  if (list.kind != Value::Kind::kList) {
    errors->push_back(Status::invalid_input("recipe: verify: expected a list of checks", list.where));
    return;
  }
  for (const auto& item : list.list) {
    if (item.kind != Value::Kind::kMap || item.map.empty()) {
      errors->push_back(Status::invalid_input("verify: expected a map such as \"- http: http://127.0.0.1/\"", item.where));
      continue;
    }
    const Value::Entry& head = item.map.front();
    engine::VerifyCheck c;
    if (head.key == "http") c.kind = Kind::kHttp;
    else if (head.key == "tcp") c.kind = Kind::kTcp;
    else if (head.key == "command") c.kind = Kind::kCommand;
    else if (head.key == "file_contains") c.kind = Kind::kFileContains;
    else {
      errors->push_back(Status::invalid_input(
          "verify: unknown check \"" + head.key + "\" (known: http, tcp, command, file_contains)", head.key_where));
      continue;
    }
    if (head.value.kind != Value::Kind::kScalar || head.value.scalar.empty()) {
      errors->push_back(Status::invalid_input("verify: " + head.key + ": expected a target", head.value.where));
      continue;
    }
    if (head.value.scalar.find('\0') != std::string::npos) {
      errors->push_back(Status::invalid_input("verify: " + head.key + ": must not contain a NUL byte (\\0)", head.value.where));
      continue;
    }
    c.target = head.value.scalar;
    c.sensitive = item.sensitive;
    c.where = head.key_where;
    c.cookbook = cookbook;
    c.recipe = recipe;
    std::string id = head.key + "[" + (c.sensitive ? std::string("(sensitive)") : c.target) + "]";
    c.name = id;
    Value rest;
    rest.kind = Value::Kind::kMap;
    rest.where = head.key_where;
    for (size_t i = 1; i < item.map.size(); ++i) rest.map.push_back(item.map[i]);
    size_t before = errors->size();
    engine::Props p(rest, "verify " + id, errors);
    if (auto n = p.string("name")) c.name = *n;
    c.timeout_ms = static_cast<int>(p.integer("timeout", 1, 3600).value_or(5) * 1000);
    c.retries = static_cast<int>(p.integer("retries", 0, 100).value_or(0));
    c.retry_delay_ms = static_cast<int>(p.integer("retry_delay", 0, 600).value_or(1) * 1000);
    if (c.kind == Kind::kHttp) {
      c.expect_status = static_cast<int>(p.integer("status", 100, 599).value_or(200));
      c.contains = p.string("contains").value_or("");
      if (c.target.rfind("http://", 0) != 0 && c.target.rfind("https://", 0) != 0)
        p.error("http", "expected an http:// or https:// URL, got \"" + c.target + "\"");
    } else if (c.kind == Kind::kFileContains) {
      c.contains = p.required_string("contains");
      auto norm = host::normalize_path(c.target);
      if (!norm.is_ok()) p.error("file_contains", norm.status().message());
      else c.target = *norm;
    } else if (c.kind == Kind::kTcp) {
      auto colon = c.target.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == c.target.size() ||
          c.target.find_first_not_of("0123456789", colon + 1) != std::string::npos)
        p.error("tcp", "expected host:port, got \"" + c.target + "\"");
      else if (c.target.size() - colon - 1 > 5 || std::stoi(c.target.substr(colon + 1)) < 1 ||
               std::stoi(c.target.substr(colon + 1)) > 65535)
        p.error("tcp", "port must be between 1 and 65535, got \"" + c.target.substr(colon + 1) + "\"");
    }
    if (p.saw_sensitive()) c.sensitive = true;
    p.finish("verify");
    if (errors->size() == before) out->push_back(std::move(c));
  }
}

}  // namespace roux::compiler
