#include "compiler/parse_cache.h"

#include "base/redact.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "compiler/yaml_value.h"
#include "tests/unit/temp_dir.h"

namespace roux::compiler {
namespace {

namespace fs = std::filesystem;
using engine::Value;

const char* kRecipe =
    "resources:\n"
    "  - file: /etc/motd\n"
    "    content: \"hello\\n\"\n"
    "    mode: '0644'\n"
    "    tags: [a, b, ~]\n"
    "    owner:\n";

/// Every field the compiler reads, compared node by node.
void check_same(const Value& a, const Value& b) {
  REQUIRE(a.kind == b.kind);
  CHECK(a.scalar == b.scalar);
  CHECK(a.quoted == b.quoted);
  CHECK(a.where.to_string() == b.where.to_string());
  REQUIRE(a.list.size() == b.list.size());
  for (size_t i = 0; i < a.list.size(); ++i) check_same(a.list[i], b.list[i]);
  REQUIRE(a.map.size() == b.map.size());
  for (size_t i = 0; i < a.map.size(); ++i) {
    CHECK(a.map[i].key == b.map[i].key);
    CHECK(a.map[i].key_where.to_string() == b.map[i].key_where.to_string());
    check_same(a.map[i].value, b.map[i].value);
  }
}

using roux::testing::TempDir;

}  // namespace

TEST_CASE("parse cache: a tree decodes to exactly what parse_yaml built") {
  Value parsed;
  std::vector<Status> errors;
  REQUIRE(parse_yaml(kRecipe, "cb/recipes/default.yaml", &parsed, &errors));
  std::string bytes = encode_value_tree(parsed, "d1");
  Value decoded;
  REQUIRE(decode_value_tree(bytes, "d1", "cb/recipes/default.yaml", &decoded));
  check_same(parsed, decoded);
  CHECK(decoded.map[0].value.list[0].map[2].value.quoted);  // '0644' stays a quoted string
}

TEST_CASE("parse cache: a wrong digest, truncation or garbage is refused") {
  Value parsed;
  std::vector<Status> errors;
  REQUIRE(parse_yaml(kRecipe, "f.yaml", &parsed, &errors));
  std::string bytes = encode_value_tree(parsed, "d1");
  Value out;
  CHECK_FALSE(decode_value_tree(bytes, "d2", "f.yaml", &out));
  for (size_t cut : {size_t{0}, size_t{1}, bytes.size() / 2, bytes.size() - 1})
    CHECK_FALSE(decode_value_tree(bytes.substr(0, cut), "d1", "f.yaml", &out));
  CHECK_FALSE(decode_value_tree("not cbor at all", "d1", "f.yaml", &out));
  CHECK(out.kind == Value::Kind::kNull);  // a refused decode leaves the output alone
}

TEST_CASE("parse cache: a length claimed by a corrupt entry is not allocated (regression: reserve(2^40) aborted)") {
  // [1, "d1", [2, 1, 1, array of 2^40 items]]: 9-byte header, no items. Each container kind.
  for (char kind : {'\x02', '\x03'}) {
    std::string bytes = std::string("\x83\x03\x62" "d1" "\x84", 5) + kind + "\x01\x01\x9b" +
                        std::string("\x00\x00\x01\x00\x00\x00\x00\x00", 8);
    Value out;
    bool stale = true;
    CHECK_FALSE(decode_value_tree(bytes, "d1", "f.yaml", &out, &stale));
    CHECK_FALSE(stale);  // malformed, not merely stale: the cache warns about it
  }
  // A well-formed entry for another text is stale, not corrupt.
  Value parsed, out;
  std::vector<Status> errors;
  REQUIRE(parse_yaml(kRecipe, "f.yaml", &parsed, &errors));
  bool stale = false;
  CHECK_FALSE(decode_value_tree(encode_value_tree(parsed, "d1"), "d2", "f.yaml", &out, &stale));
  CHECK(stale);
}

TEST_CASE("parse cache: the texts block is used up exactly; an older format's entry is stale, not corrupt") {
  Value parsed;
  std::vector<Status> errors;
  REQUIRE(parse_yaml(kRecipe, "f.yaml", &parsed, &errors));
  std::string bytes = encode_value_tree(parsed, "d1");
  // The trailer is the texts block's size: one byte more or less than the texts written moves
  // the CBOR's end and the texts, and the entry is refused.
  for (int delta : {-1, 1}) {
    std::string b = bytes;
    b[b.size() - 8] = static_cast<char>(static_cast<unsigned char>(b[b.size() - 8]) + delta);
    Value out;
    CHECK_FALSE(decode_value_tree(b, "d1", "f.yaml", &out));
  }
  // A byte more in the block (texts not used up), a trailer claiming more than the entry.
  std::string longer = bytes;
  longer.insert(longer.size() - 8, "x");
  longer[longer.size() - 8] = static_cast<char>(static_cast<unsigned char>(longer[longer.size() - 8]) + 1);
  Value out;
  CHECK_FALSE(decode_value_tree(longer, "d1", "f.yaml", &out));
  std::string huge = bytes;
  for (size_t i = huge.size() - 8; i < huge.size(); ++i) huge[i] = '\xff';
  CHECK_FALSE(decode_value_tree(huge, "d1", "f.yaml", &out));
  CHECK(out.kind == Value::Kind::kNull);
  // What format 2 wrote ([2, digest, tree], texts inside the CBOR): stale, so an upgrade reparses
  // without warning about every entry.
  std::string v2("\x83\x02\x62" "d1" "\x85\x01\x01\x01\x61" "x" "\xf4", 12);
  bool stale = false;
  CHECK_FALSE(decode_value_tree(v2, "d1", "f.yaml", &out, &stale));
  CHECK(stale);
}

TEST_CASE("parse cache: second parse is a hit; changed text is a miss; plan never writes") {
  TempDir tmp;
  std::string dir = tmp.path + "/cache/parsed";
  std::vector<Status> errors;
  {
    ParseCache readonly(dir, /*writable=*/false);
    Value v;
    REQUIRE(readonly.parse(kRecipe, "r.yaml", &v, &errors));
    CHECK(readonly.misses() == 1);
    CHECK_FALSE(fs::exists(dir));
  }
  ParseCache cache(dir, /*writable=*/true);
  Value first, second, third;
  REQUIRE(cache.parse(kRecipe, "r.yaml", &first, &errors));
  CHECK_FALSE(fs::exists(dir));  // nothing written before the compile commits
  cache.commit();
  REQUIRE(cache.parse(kRecipe, "r.yaml", &second, &errors));
  CHECK(cache.hits() == 1);
  check_same(first, second);
  std::string changed = std::string(kRecipe) + "  - directory: /srv\n";
  REQUIRE(cache.parse(changed, "r.yaml", &third, &errors));
  CHECK(cache.misses() == 2);
  cache.commit();
  CHECK(third.map[0].value.list.size() == 2);
  // A corrupted entry is ignored and the text parsed again.
  for (const auto& e : fs::directory_iterator(dir)) std::ofstream(e.path(), std::ios::trunc) << "garbage";
  Value fourth;
  REQUIRE(cache.parse(changed, "r.yaml", &fourth, &errors));
  check_same(third, fourth);
  CHECK(errors.empty());
}

TEST_CASE("parse cache: a YAML error is reported every time and never cached") {
  TempDir tmp;
  ParseCache cache(tmp.path + "/p", true);
  for (int i = 0; i < 2; ++i) {
    std::vector<Status> errors;
    Value v;
    CHECK_FALSE(cache.parse("a: [1, 2\n", "bad.yaml", &v, &errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].to_string().find("bad.yaml:") != std::string::npos);
  }
  CHECK(cache.hits() == 0);
}

TEST_CASE("parse cache: a recipe with a URL password is never copied to the cache; others are") {
  TempDir tmp;
  std::string dir = tmp.path + "/parsed";
  ParseCache cache(dir, true);
  std::vector<Status> errors;
  const std::string with_pw =
      "resources:\n  - remote_file: /etc/t\n    source: https://deploy:Sekr3t-pw@mirror.example/t\n";
  const std::string with_token = "attrs:\n  mirror: \"git+https://ghp_tok3n@github.example/r.git\"\n";
  const std::string ssh_login = "resources:\n  - git: /srv/r\n    repository: ssh://git@host.example/r.git\n";
  Value v;
  REQUIRE(cache.parse(with_pw, "pw.yaml", &v, &errors));
  REQUIRE(cache.parse(with_token, "token.yaml", &v, &errors));
  cache.commit();
  CHECK_FALSE(fs::exists(dir));
  REQUIRE(cache.parse(ssh_login, "ssh.yaml", &v, &errors));  // a login name is no secret
  REQUIRE(cache.parse(kRecipe, "r.yaml", &v, &errors));
  cache.commit();
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++entries;
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(bytes.find("Sekr3t") == std::string::npos);
    CHECK(bytes.find("ghp_tok3n") == std::string::npos);
  }
  CHECK(entries == 2);
  CHECK(errors.empty());
  CHECK(redact::has_url_credentials("curl -fsS https://u:p@h/x"));
  CHECK(redact::has_url_credentials("see 'http://tok@h' now"));
  CHECK_FALSE(redact::has_url_credentials("https://h/a@b ssh://git@h/r ://x:y@ a:b@c"));
}

}  // namespace roux::compiler
