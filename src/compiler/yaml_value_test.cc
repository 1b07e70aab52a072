#include "compiler/yaml_value.h"

#include <doctest/doctest.h>

namespace roux::compiler {
namespace {

using engine::Value;

struct Parsed {
  Value v;
  std::vector<Status> errors;
  bool ok;
};

Parsed parse(const std::string& text) {
  Parsed p;
  p.ok = parse_yaml(text, "t.yaml", &p.v, &p.errors);
  return p;
}

std::vector<std::string> messages(const Parsed& p) {
  std::vector<std::string> out;
  for (const auto& e : p.errors) out.push_back(e.to_string());
  return out;
}

}  // namespace

TEST_CASE("yaml: kinds, quoting and positions") {
  Parsed p = parse("a: 1\nb: '0644'\nc: \"x\"\nd: ~\ne:\nf: [x, {g: h}]\n");
  REQUIRE(p.ok);
  REQUIRE(p.v.kind == Value::Kind::kMap);
  REQUIRE(p.v.map.size() == 6);
  CHECK(p.v.where.to_string() == "t.yaml:1:1");
  CHECK(p.v.map[0].value.scalar == "1");
  CHECK_FALSE(p.v.map[0].value.quoted);
  CHECK(p.v.map[1].value.quoted);
  CHECK(p.v.map[2].value.quoted);
  CHECK(p.v.map[3].value.kind == Value::Kind::kNull);
  CHECK(p.v.map[4].value.kind == Value::Kind::kNull);
  CHECK(p.v.map[1].key_where.to_string() == "t.yaml:2:1");
  CHECK(p.v.map[1].value.where.to_string() == "t.yaml:2:4");
  const Value& f = p.v.map[5].value;
  REQUIRE(f.kind == Value::Kind::kList);
  REQUIRE(f.list.size() == 2);
  CHECK(f.list[1].map[0].key == "g");
  CHECK(f.list[1].map[0].value.where.to_string() == "t.yaml:6:12");
}

TEST_CASE("yaml: an empty document is null at 1:1; only the first document counts") {
  Parsed empty = parse("");
  CHECK(empty.ok);
  CHECK(empty.v.kind == Value::Kind::kNull);
  CHECK(empty.v.where.to_string() == "t.yaml:1:1");
  Parsed two = parse("a: 1\n---\nb: 2\n");
  REQUIRE(two.ok);
  REQUIRE(two.v.map.size() == 1);
  CHECK(two.v.map[0].key == "a");
}

TEST_CASE("yaml: duplicate and non-scalar keys are errors at the key; their values are dropped quietly") {
  Parsed p = parse("a: 1\nb:\n  c: 1\n  c: {x: 1, x: 2}\n? [k]\n: {y: 1, y: 2}\na: 3\n");
  CHECK_FALSE(p.ok);
  CHECK(messages(p) == std::vector<std::string>{"t.yaml:4:3: duplicate key \"c\"", "t.yaml:5:3: map keys must be strings",
                                                "t.yaml:7:1: duplicate key \"a\""});
  REQUIRE(p.v.map.size() == 2);
  CHECK(p.v.map[0].value.scalar == "1");  // the first "a" is kept
  REQUIRE(p.v.map[1].value.map.size() == 1);
  CHECK(p.v.map[1].value.map[0].value.scalar == "1");
}

TEST_CASE("yaml: an alias is a copy of its anchored node") {
  Parsed p = parse("base: &b {mode: '0644', tags: [x]}\nfile: *b\n");
  REQUIRE(p.ok);
  const Value& copy = p.v.map[1].value;
  REQUIRE(copy.kind == Value::Kind::kMap);
  CHECK(copy.map[0].value.scalar == "0644");
  CHECK(copy.map[0].value.quoted);
  CHECK(copy.map[1].value.list[0].scalar == "x");
  CHECK(copy.where.to_string() == "t.yaml:1:7");  // where the anchored node was written
}

TEST_CASE("yaml: a syntax error is the only error, at its position") {
  Parsed p = parse("a: [1, 2\nb: {c: 1, c: 2}\n");
  CHECK_FALSE(p.ok);
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].to_string().rfind("t.yaml:", 0) == 0);
  CHECK(p.errors[0].to_string().find("yaml: ") != std::string::npos);
  Parsed undefined = parse("a: *nope\n");
  CHECK_FALSE(undefined.ok);
  REQUIRE(undefined.errors.size() == 1);
}

}  // namespace roux::compiler
