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

TEST_CASE("yaml: an empty document is null at 1:1; a second document is an error") {
  Parsed empty = parse("");
  CHECK(empty.ok);
  CHECK(empty.v.kind == Value::Kind::kNull);
  CHECK(empty.v.where.to_string() == "t.yaml:1:1");
  Parsed two = parse("a: 1\n---\nb: 2\n");
  CHECK_FALSE(two.ok);
  CHECK(messages(two) == std::vector<std::string>{"t.yaml:2:1: yaml: a second document starts here; a file holds one document"});
  // One document with its markers is fine.
  for (const char* one : {"---\na: 1\n", "a: 1\n...\n", "---\na: 1\n...\n", "# only a comment\n"}) {
    CAPTURE(one);
    CHECK(parse(one).ok);
  }
}

TEST_CASE("yaml: limits: alias expansion, nesting, size") {
  // Billion laughs: each level 9 aliases of the previous one.
  std::string bomb = "a0: &a0 [lol]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) bomb += (j ? ",*a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  Parsed laughs = parse(bomb);
  CHECK_FALSE(laughs.ok);
  REQUIRE(laughs.errors.size() == 1);
  CHECK(laughs.errors[0].message() == "yaml: more than 500000 nodes once aliases are expanded");
  // Long text repeated through aliases.
  std::string text = "a: &a " + std::string(1 << 20, 'x') + "\nb: [";
  for (int j = 0; j < 40; ++j) text += "*a,";
  Parsed big = parse(text + "*a]\n");
  CHECK_FALSE(big.ok);
  REQUIRE(big.errors.size() == 1);
  CHECK(big.errors[0].message() == "yaml: more than 33554432 bytes of text once aliases are expanded");
  // Nested anchors each keep a copy of what they hold: counted too.
  std::string nested = "a: ";
  for (int i = 0; i < 40; ++i) nested += "&n" + std::to_string(i) + " [";
  nested += std::string(1 << 20, 'y') + std::string(40, ']') + "\n";
  Parsed anchors = parse(nested);
  CHECK_FALSE(anchors.ok);
  REQUIRE(anchors.errors.size() == 1);
  CHECK(anchors.errors[0].message() == "yaml: more than 33554432 bytes of text once aliases are expanded");
  // Nesting: 64 levels are fine, 65 are not, in flow or through aliases.
  CHECK(parse(std::string(64, '[') + std::string(64, ']')).ok);
  Parsed deep = parse(std::string(65, '[') + std::string(65, ']'));
  CHECK(messages(deep) == std::vector<std::string>{"t.yaml:1:65: yaml: nesting deeper than 64 levels"});
  Parsed via_alias = parse("a: &a " + std::string(40, '[') + std::string(40, ']') + "\nb: " + std::string(30, '[') +
                           "*a" + std::string(30, ']') + "\n");
  CHECK_FALSE(via_alias.ok);
  REQUIRE(via_alias.errors.size() == 1);
  CHECK(via_alias.errors[0].message() == "yaml: nesting deeper than 64 levels (through an alias)");
  Parsed huge = parse("a: " + std::string(kMaxInputBytes, 'x'));
  CHECK_FALSE(huge.ok);
  CHECK(messages(huge)[0].find("more than the limit of 8388608") != std::string::npos);
}

TEST_CASE("yaml: to_json keeps numbers that do not fit as the text written") {
  Parsed p = parse("a: 42\nb: 99999999999999999999\nc: 1e999\nd: -7\ne: 1.5\n");
  REQUIRE(p.ok);
  nlohmann::json j = to_json(p.v);
  CHECK(j["a"] == 42);
  CHECK(j["b"] == "99999999999999999999");
  CHECK(j["c"] == "1e999");
  CHECK(j["d"] == -7);
  CHECK(j["e"] == 1.5);
}

TEST_CASE("json: nesting is checked before parsing, at file:line:col") {
  CHECK(check_json_limits("{\"a\": [[1]], \"s\": \"[[[[\\\"[[[\"}", "n.json").is_ok());
  CHECK(check_json_limits(std::string(64, '[') + std::string(64, ']'), "n.json").is_ok());
  Status deep = check_json_limits("{\n \"a\": " + std::string(70, '[') + std::string(70, ']') + "}", "n.json");
  CHECK(deep.to_string() == "n.json:2:70: json: nesting deeper than 64 levels");
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
