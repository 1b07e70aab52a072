#include "engine/value.h"

#include <doctest/doctest.h>

namespace roux::engine {
namespace {

Value scalar(std::string s, int line) {
  Value v;
  v.kind = Value::Kind::kScalar;
  v.scalar = std::move(s);
  v.where = {"r.yaml", line, 3};
  return v;
}

Value props_map(std::vector<std::pair<std::string, Value>> entries) {
  Value m;
  m.kind = Value::Kind::kMap;
  m.where = {"r.yaml", 1, 1};
  for (auto& [k, v] : entries) m.map.push_back({k, v.where, std::move(v)});
  return m;
}

}  // namespace

TEST_CASE("props: a NUL byte is refused in every getter but text(), and reads as absent") {
  using namespace std::string_literals;
  Value list;
  list.kind = Value::Kind::kList;
  list.where = {"r.yaml", 4, 3};
  list.list.push_back(scalar("ok", 4));
  list.list.push_back(scalar("b\0d"s, 5));
  Value env = props_map({{"A\0B"s, scalar("x", 6)}});
  env.where = {"r.yaml", 6, 3};
  Value m = props_map({{"command", scalar("true\0; rm -rf /"s, 2)},
                       {"content", scalar("a\0b"s, 3)},
                       {"groups", list},
                       {"environment", env}});
  std::vector<Status> errors;
  Props p(m, "exec[x]", &errors);
  CHECK_FALSE(p.string("command").has_value());
  CHECK(p.text("content") == "a\0b"s);
  CHECK_FALSE(p.string_list("groups").has_value());
  CHECK_FALSE(p.string_map("environment").has_value());
  p.finish("exec");
  std::vector<std::string> got;
  for (const auto& e : errors) got.push_back(e.to_string());
  CHECK(got == std::vector<std::string>{"r.yaml:2:3: exec[x]: command: must not contain a NUL byte (\\0)",
                                        "r.yaml:5:3: exec[x]: groups: must not contain a NUL byte (\\0)",
                                        "r.yaml:6:3: exec[x]: environment: must not contain a NUL byte (\\0)"});
}

TEST_CASE("props: integers are plain digits with an optional '-', checked against their range") {
  Value m = props_map({{"a", scalar("42", 1)},
                       {"b", scalar(" 5", 2)},
                       {"c", scalar("+3", 3)},
                       {"d", scalar("99999999999999999999", 4)},
                       {"e", scalar("-1", 5)},
                       {"f", scalar("-", 6)},
                       {"g", scalar("0x10", 7)}});
  std::vector<Status> errors;
  Props p(m, "exec[x]", &errors);
  CHECK(p.integer("a", 0, 100) == 42);
  CHECK_FALSE(p.integer("b", 0, 100).has_value());
  CHECK_FALSE(p.integer("c", 0, 100).has_value());
  CHECK_FALSE(p.integer("d", 0, 4294967294LL).has_value());
  CHECK(p.integer("e", -5, 5) == -1);
  CHECK_FALSE(p.integer("f", -5, 5).has_value());
  CHECK_FALSE(p.integer("g", 0, 100).has_value());
  REQUIRE(errors.size() == 5);
  CHECK(errors[2].message() == "exec[x]: d: must be between 0 and 4294967294, got 99999999999999999999");
}

}  // namespace roux::engine
