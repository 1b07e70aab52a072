// remote_file: checksum parsing and the compile-time errors at file:line:col.
#include "resources/remote_file.h"

#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {
namespace {

std::string errors_of(const std::string& name, const std::string& yaml) {
  std::vector<Status> errors;
  engine::Value map;
  REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
  engine::Props props(map, "remote_file[" + name + "]", &errors);
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  remote_file_type().make(name, props, build);
  props.finish("remote_file");
  std::string out;
  for (const auto& s : errors) out += s.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("remote_file: checksum") {
  std::string why;
  const std::string hex(64, 'a');
  CHECK(*parse_sha256_checksum("sha256:" + hex, &why) == hex);
  CHECK(*parse_sha256_checksum("sha256:" + std::string(64, 'A'), &why) == hex);
  CHECK(*parse_sha256_checksum("none", &why) == "");
  CHECK(!parse_sha256_checksum(hex, &why));
  CHECK(why == "expected sha256:HEX (64 hex digits) or none");
  CHECK(!parse_sha256_checksum("sha256:abc", &why));
  CHECK(why == "expected sha256: followed by 64 hex digits");
  CHECK(!parse_sha256_checksum("md5:" + std::string(32, '0'), &why));
  CHECK(!parse_sha256_checksum("sha256:" + std::string(63, '0') + "g", &why));
}

TEST_CASE("remote_file: compile errors at the property") {
  const std::string ok = "source: https://x.example/a\nchecksum: sha256:" + std::string(64, '0') + "\n";
  CHECK(errors_of("/opt/a", ok) == "");
  CHECK(errors_of("/opt/a", "ensure: absent\n") == "");
  CHECK(errors_of("/opt/a", "source: https://x.example/a\n") ==
        "r.yaml:1:1: remote_file[/opt/a]: checksum: is required: sha256:HEX (the file's SHA-256), or none to accept "
        "whatever the server sends\n");
  CHECK(errors_of("/opt/a", "source: ftp://x/a\nchecksum: none\n") ==
        "r.yaml:1:9: remote_file[/opt/a]: source: expected an https://, http:// or file:// URL\n");
  CHECK(errors_of("/opt/a", "source: https://x/a\nchecksum: sha1:abc\n") ==
        "r.yaml:2:11: remote_file[/opt/a]: checksum: expected sha256:HEX (64 hex digits) or none\n");
  CHECK(errors_of("/opt/a", ok + "mode: '0999'\n").find("r.yaml:3:7: remote_file[/opt/a]: mode:") == 0);
  CHECK(errors_of("rel/path", ok).find("r.yaml:1:1: remote_file[rel/path]: path must be absolute") == 0);
  CHECK(errors_of("/opt/a", ok + "max_bytes: 0\n").find("r.yaml:3:12: remote_file[/opt/a]: max_bytes:") == 0);
}

}  // namespace roux::resources
