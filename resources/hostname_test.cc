#include "resources/hostname.h"

#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {

TEST_CASE("hostname: names and the 127.0.1.1 line of /etc/hosts") {
  for (const char* ok : {"web1", "web1.example.com", "a-b.c0", "X1"}) CHECK_MESSAGE(is_valid_hostname(ok), ok);
  for (const char* bad : {"", "-a", "a-", "a..b", ".a", "a.", "a b", "a_b", "a/b", "\xc3\xa9t\xc3\xa9",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    CHECK_MESSAGE(!is_valid_hostname(bad), bad);
  CHECK(!is_valid_hostname(std::string(30, 'a') + "." + std::string(34, 'b')));  // 65 bytes
  // Replaced in place, foreign lines kept, later duplicates dropped.
  CHECK(hosts_with_hostname("127.0.0.1\tlocalhost\n127.0.1.1\told\n\n# v6\n::1 localhost ip6-localhost\n127.0.1.1 dup\n",
                            "web1.example.com") ==
        "127.0.0.1\tlocalhost\n127.0.1.1\tweb1.example.com web1\n\n# v6\n::1 localhost ip6-localhost\n");
  // Added after the 127.0.0.1 lines when missing.
  CHECK(hosts_with_hostname("127.0.0.1 localhost\n::1 localhost\n", "web1") ==
        "127.0.0.1 localhost\n127.0.1.1\tweb1\n::1 localhost\n");
  CHECK(hosts_with_hostname("", "web1") == "127.0.1.1\tweb1\n");
  // A line that only starts with the digits is not ours.
  CHECK(hosts_with_hostname("127.0.1.10 other\n", "a") == "127.0.1.1\ta\n127.0.1.10 other\n");
  // Idempotent.
  std::string once = hosts_with_hostname("127.0.0.1 localhost\n10.0.0.5 db\n", "web1.x");
  CHECK(hosts_with_hostname(once, "web1.x") == once);
}

TEST_CASE("hostname: compile errors") {
  std::vector<Status> errors;
  engine::Value map;
  REQUIRE(compiler::parse_yaml("{}\n", "r.yaml", &map, &errors));
  engine::Props props(map, "hostname[web_1]", &errors);
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  hostname_type().make("web_1", props, build);
  props.finish("hostname");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() ==
        "r.yaml:1:1: hostname[web_1]: invalid hostname \"web_1\": dot-separated labels of letters, digits and - (not "
        "first or last), at most 64 bytes");
}

}  // namespace roux::resources
