#include "compiler/yaml_value.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

namespace roux::compiler {
namespace {

SourceLocation loc(const FileName& file, const YAML::Mark& m) {
  if (m.is_null()) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

void convert(const YAML::Node& n, const FileName& file, engine::Value* out, std::vector<Status>* errors) {
  out->where = loc(file, n.Mark());
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out->kind = engine::Value::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      out->kind = engine::Value::Kind::kScalar;
      out->scalar = n.Scalar();
      out->quoted = n.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      out->kind = engine::Value::Kind::kList;
      for (const auto& item : n) {
        engine::Value v;
        convert(item, file, &v, errors);
        out->list.push_back(std::move(v));
      }
      break;
    case YAML::NodeType::Map: {
      out->kind = engine::Value::Kind::kMap;
      std::set<std::string> seen;
      for (const auto& kv : n) {
        engine::Value::Entry e;
        e.key_where = loc(file, kv.first.Mark());
        if (!kv.first.IsScalar()) {
          errors->push_back(Status::invalid_input("map keys must be strings", e.key_where));
          continue;
        }
        e.key = kv.first.Scalar();
        if (!seen.insert(e.key).second) {
          errors->push_back(Status::invalid_input("duplicate key \"" + e.key + "\"", e.key_where));
          continue;
        }
        convert(kv.second, file, &e.value, errors);
        out->map.push_back(std::move(e));
      }
      break;
    }
  }
}

}  // namespace

bool parse_yaml(const std::string& text, const std::string& file_name, engine::Value* out, std::vector<Status>* errors) {
  size_t before = errors->size();
  FileName file(file_name);  // interned once for every location of the tree
  try {
    YAML::Node root = YAML::Load(text);
    convert(root, file, out, errors);
    if (out->where.line == 0) out->where = {file, 1, 1};
  } catch (const YAML::Exception& e) {
    errors->push_back(Status::invalid_input("yaml: " + e.msg, loc(file, e.mark)));
  }
  return errors->size() == before;
}

void interpolate_scalars(engine::Value& v, const Interpolate& interpolate, std::vector<Status>* errors) {
  switch (v.kind) {
    case engine::Value::Kind::kScalar:
      if (v.scalar.find("{{") != std::string::npos) {
        auto r = interpolate(v.scalar);
        if (!r.is_ok()) errors->push_back(r.status().at(v.where));
        else v.scalar = std::move(*r);
      }
      break;
    case engine::Value::Kind::kList:
      for (auto& item : v.list) interpolate_scalars(item, interpolate, errors);
      break;
    case engine::Value::Kind::kMap:
      for (auto& e : v.map) interpolate_scalars(e.value, interpolate, errors);
      break;
    case engine::Value::Kind::kNull:
      break;
  }
}

nlohmann::json to_json(const engine::Value& v) {
  switch (v.kind) {
    case engine::Value::Kind::kNull: return nullptr;
    case engine::Value::Kind::kScalar: {
      if (v.quoted) return v.scalar;
      if (v.scalar == "true") return true;
      if (v.scalar == "false") return false;
      if (!v.scalar.empty()) {
        char* end = nullptr;
        long long n = std::strtoll(v.scalar.c_str(), &end, 10);
        if (*end == '\0' && (v.scalar.size() == 1 || v.scalar[0] != '0')) return n;
        double d = std::strtod(v.scalar.c_str(), &end);
        if (*end == '\0' && v.scalar.find_first_of("0123456789") != std::string::npos &&
            v.scalar.find_first_not_of("0123456789.-+eE") == std::string::npos)
          return d;
      }
      return v.scalar;
    }
    case engine::Value::Kind::kList: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : v.list) a.push_back(to_json(item));
      return a;
    }
    case engine::Value::Kind::kMap: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& e : v.map) o[e.key] = to_json(e.value);
      return o;
    }
  }
  return nullptr;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io("open " + path, errno ? errno : ENOENT);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace roux::compiler
