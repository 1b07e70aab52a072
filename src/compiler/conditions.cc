#include "compiler/conditions.h"

#include "facts/facts.h"

namespace roux::compiler {
namespace {

using engine::Value;

/// For each entry of a condition map: the fact's value, and whether it equals one alternative.
struct Entry {
  std::string fact, actual;
  std::vector<std::string> wanted;
  bool holds = false;
};

bool read(const Value* cond, const char* key, const nlohmann::ordered_json& facts, const std::string& owner,
          std::vector<Entry>* out, std::vector<Status>* errors) {
  if (!cond) return true;
  if (cond->kind != Value::Kind::kMap) {
    errors->push_back(Status::invalid_input(owner + ": " + key + ": expected a map of fact: value, such as {os.version_id: \"12\"}",
                                            cond->where));
    return false;
  }
  bool ok = true;
  for (const auto& e : cond->map) {
    Entry en;
    en.fact = e.key;
    if (!facts::lookup(facts, e.key, &en.actual)) {
      errors->push_back(Status::invalid_input(owner + ": " + key + ": unknown fact \"" + e.key +
                                                  "\" (see `roux facts`; nested facts are dotted: os.version_id)",
                                              e.key_where));
      ok = false;
      continue;
    }
    auto add = [&](const Value& v) {
      if (v.kind != Value::Kind::kScalar) {
        errors->push_back(Status::invalid_input(owner + ": " + key + ": " + e.key + ": expected a value or a list of values",
                                                v.where));
        ok = false;
        return;
      }
      std::string want = v.scalar;
      if (want == "yes") want = "true";
      if (want == "no") want = "false";
      en.wanted.push_back(want);
      en.holds = en.holds || want == en.actual;
    };
    if (e.value.kind == Value::Kind::kList) {
      for (const auto& item : e.value.list) add(item);
    } else {
      add(e.value);
    }
    out->push_back(std::move(en));
  }
  return ok;
}

std::string quoted_list(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? (i + 1 == v.size() ? " or \"" : ", \"") : "\"") + v[i] + "\"";
  return s;
}

}  // namespace

std::string evaluate_fact_conditions(const Value* only_if, const Value* not_if, const nlohmann::ordered_json& facts,
                                     const std::string& owner, std::vector<Status>* errors) {
  std::vector<Entry> only, nots;
  bool ok = read(only_if, "only_if_fact", facts, owner, &only, errors);
  ok = read(not_if, "not_if_fact", facts, owner, &nots, errors) && ok;
  if (!ok) return "";
  for (const auto& e : only)
    if (!e.holds) return "only_if_fact " + e.fact + " is \"" + e.actual + "\", not " + quoted_list(e.wanted);
  for (const auto& e : nots)
    if (e.holds) return "not_if_fact " + e.fact + " is \"" + e.actual + "\"";
  return "";
}

}  // namespace roux::compiler
