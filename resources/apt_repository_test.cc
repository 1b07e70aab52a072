// apt_repository: its properties as the compiler reads them (errors at file:line:col), the key
// format detection, and the deb822 file it writes.
#include "resources/apt_repository.h"

#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {
namespace {

const std::string kArmored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ...\n-----END PGP PUBLIC KEY BLOCK-----\n";

struct Built {
  std::unique_ptr<engine::Resource> r;
  std::vector<std::string> errors;
};

/// Builds apt_repository[name] from `yaml` (its properties) as the compiler would; the cookbook
/// has files/repo.asc (armored), files/repo.gpg (binary) and files/junk.txt.
Built build(const std::string& name, const std::string& yaml) {
  Built out;
  std::vector<Status> errors;
  engine::Value map;
  REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
  engine::Props props(map, "apt_repository[" + name + "]", &errors);
  struct Files : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string& rel) const override {
      if (rel == "repo.asc") return kArmored;
      if (rel == "repo.gpg") return std::string("\x99\x01\x0d\x04", 4) + "binary";
      if (rel == "junk.txt") return std::string("hello\n");
      return Status::not_found("cookbook app has no files/" + rel);
    }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } files;
  out.r = apt_repository_type().make(name, props, files);
  props.finish("apt_repository");
  for (const auto& s : errors) out.errors.push_back(s.to_string());
  return out;
}

std::string all(const Built& b) {
  std::string s;
  for (const auto& e : b.errors) s += e + "\n";
  return s;
}

}  // namespace

TEST_CASE("apt_repository: key format") {
  CHECK(key_format(kArmored) == KeyFormat::kArmored);
  CHECK(key_format("\n  " + kArmored) == KeyFormat::kArmored);
  CHECK(key_format(std::string("\x99\x01\x0d", 3)) == KeyFormat::kBinary);
  CHECK(key_format(std::string("\xc6\x33", 2)) == KeyFormat::kBinary);
  CHECK(key_format("") == KeyFormat::kUnknown);
  CHECK(key_format("<html>not found</html>") == KeyFormat::kUnknown);
  CHECK(key_format("-----BEGIN PGP SIGNATURE-----\n") == KeyFormat::kUnknown);
}

TEST_CASE("apt_repository: names apt reads") {
  for (const char* ok : {"datadog", "my_repo-1.2", "A9"}) CHECK_MESSAGE(is_valid_apt_source_name(ok), ok);
  for (const char* bad : {"", ".hidden", "-x", "a b", "a/b", "x~", "é"}) CHECK_MESSAGE(!is_valid_apt_source_name(bad), bad);
  CHECK(!is_valid_apt_source_name(std::string(101, 'a')));
}

TEST_CASE("apt_repository: valid declarations build") {
  auto a = build("repo", "uri: http://127.0.0.1:8000/\nsuite: bookworm\ncomponents: [main, contrib]\nkey: repo.asc\n");
  CHECK(all(a) == "");
  CHECK(a.r);
  auto flat = build("flat", "uri: file:/srv/flat\nsuite: ./\nkey: repo.gpg\narchitectures: amd64\n");
  CHECK(all(flat) == "");
  auto url = build("dd", "uri: [https://a.example/, https://b.example/]\nsuite: stable\ncomponents: '7'\n"
                         "key_url: https://keys.example/k.asc\nkey_sha256: sha256:" + std::string(64, 'A') + "\n");
  CHECK(all(url) == "");
  // Absent needs nothing but the name.
  CHECK(all(build("gone", "ensure: absent\n")) == "");
}

TEST_CASE("apt_repository: bad input is a compile error at the property") {
  CHECK(all(build("repo", "suite: bookworm\ncomponents: main\nkey: repo.asc\n")) ==
        "r.yaml:1:1: apt_repository[repo]: uri: is required\n");
  CHECK(all(build("repo", "uri: 'http://x/ trusted=yes'\nsuite: s\ncomponents: main\nkey: repo.asc\n")) ==
        "r.yaml:1:6: apt_repository[repo]: uri: \"http://x/ trusted=yes\" is not a URI (one word, no spaces, # or brackets)\n");
  CHECK(all(build("repo", "uri: /srv/repo\nsuite: s\ncomponents: main\nkey: repo.asc\n")) ==
        "r.yaml:1:6: apt_repository[repo]: uri: \"/srv/repo\" is not a URI (http://..., https://..., file:/...)\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\ncomponents: main\nkey: repo.asc\n")) ==
        "r.yaml:3:13: apt_repository[repo]: components: must be empty when suite \"./\" ends with / (a flat repository)\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: bookworm\nkey: repo.asc\n")) ==
        "r.yaml:1:1: apt_repository[repo]: components: is required (main, ...) unless suite ends with / (a flat repository)\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\n")) ==
        "r.yaml:1:1: apt_repository[repo]: key: is required: the repository's signing key, as key (a file under the "
        "cookbook's files/) or key_url with key_sha256\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\nkey_url: https://k/\n")) ==
        "r.yaml:1:1: apt_repository[repo]: key_sha256: is required with key_url (the SHA-256 of the key file, 64 hex digits)\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\nkey_url: https://k/\nkey_sha256: abc\n")) ==
        "r.yaml:4:13: apt_repository[repo]: key_sha256: expected 64 hex digits\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\nkey_url: ftp://k/\nkey_sha256: " + std::string(64, '0') + "\n")) ==
        "r.yaml:3:10: apt_repository[repo]: key_url: expected an https://, http:// or file:// URL\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\nkey: junk.txt\n")) ==
        "r.yaml:3:6: apt_repository[repo]: key: files/junk.txt is not an OpenPGP public key (neither armored "
        "\"-----BEGIN PGP PUBLIC KEY BLOCK-----\" nor binary)\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\nkey: nope.asc\n")) ==
        "r.yaml:3:6: apt_repository[repo]: key: cookbook app has no files/nope.asc\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\nkey: repo.asc\ntypes: rpm\n")) ==
        "r.yaml:4:8: apt_repository[repo]: types: \"rpm\" is not deb or deb-src\n");
  CHECK(all(build("repo", "uri: http://x/\nsuite: ./\nkey: repo.asc\nsigned_by: /x\n")) ==
        "r.yaml:4:1: apt_repository[repo]: unknown property \"signed_by\" for apt_repository\n");
  CHECK(all(build("a b", "ensure: absent\n")).find(
            "apt_repository[a b]: invalid apt_repository name \"a b\": use letters, digits, _, . and -") != std::string::npos);
}

}  // namespace roux::resources
