// archive: the compile-time errors at file:line:col.
#include <doctest/doctest.h>

#include "base/sha256.h"
#include "resources/builtin.h"
#include "resources/compile_errors_test_util.h"
#include "resources/tree_layout.h"

namespace roux::resources {
namespace {

// A cookbook with one file, files/app.tar.gz.
struct Build : NoCookbookFiles {
  Result<std::string> cookbook_file(const std::string& rel) const override {
    if (rel == "app.tar.gz") return std::string("tarball bytes");
    return NoCookbookFiles::cookbook_file(rel);
  }
};

std::string errors_of(const std::string& name, const std::string& yaml) {
  return compile_errors(archive_type(), name, yaml, Build());
}

}  // namespace

TEST_CASE("archive: compile errors at the property") {
  const std::string sum = "sha256:" + std::string(64, '0');
  CHECK(errors_of("/opt/a", "source: app.tar.gz\n") == "");
  // ensure: absent needs no source (the record lists what was laid out).
  CHECK(errors_of("/opt/a", "ensure: absent\n") == "");
  CHECK(errors_of("/opt/a", "ensure: absent\nsource: app.tar.gz\n") == "");
  CHECK(errors_of("/opt/a", "ensure: gone\nsource: app.tar.gz\n").find("r.yaml:1:9: archive[/opt/a]: ensure:") == 0);
  CHECK(errors_of("/opt/a", "ensure: present\n").find("r.yaml:1:1: archive[/opt/a]: source: is required") == 0);
  CHECK(errors_of("/opt/a", "source: app.tar.gz\ncreates: /opt/a/bin\nstrip_components: 1\noverwrite: true\n"
                            "owner: '0'\ngroup: '0'\nmode: '0750'\nmax_entries: 10\nmax_bytes: 100\n") == "");
  CHECK(errors_of("/opt/a", "source: https://x.example/a.tgz\nchecksum: " + sum + "\nmax_download: 1000\n") == "");
  CHECK(errors_of("/opt/a", "source: app.tar.gz\nchecksum: sha256:" + sha256_hex("tarball bytes") + "\n") == "");
  CHECK(errors_of("/opt/a", "mode: '0755'\n") ==
        "r.yaml:1:1: archive[/opt/a]: source: is required: a file of the cookbook's files/ folder, or an https://, "
        "http:// or file:// URL\n");
  CHECK(errors_of("/opt/a", "source: https://x.example/a.tgz\n") ==
        "r.yaml:1:1: archive[/opt/a]: checksum: is required with a URL: sha256:HEX (the archive's SHA-256)\n");
  CHECK(errors_of("/opt/a", "source: https://x.example/a.tgz\nchecksum: none\n") ==
        "r.yaml:2:11: archive[/opt/a]: checksum: expected sha256:HEX (none is not accepted for an archive)\n");
  CHECK(errors_of("/opt/a", "source: nothere.tgz\n") ==
        "r.yaml:1:9: archive[/opt/a]: source: cookbook c has no file files/nothere.tgz\n");
  CHECK(errors_of("/opt/a", "source: app.tar.gz\nchecksum: " + sum + "\n") ==
        "r.yaml:2:11: archive[/opt/a]: checksum: files/app.tar.gz has sha256 " + sha256_hex("tarball bytes") +
            ", not " + std::string(64, '0') + "\n");
  CHECK(errors_of("/opt/a", "source: app.tar.gz\nstrip_components: -1\n").find("r.yaml:2:19: archive[/opt/a]: strip_components:") == 0);
  CHECK(errors_of("/opt/a", "source: app.tar.gz\noverwrite: maybe\n").find("r.yaml:2:12: archive[/opt/a]: overwrite:") == 0);
  CHECK(errors_of("/opt/a", "source: app.tar.gz\ncreates: rel\n").find("r.yaml:2:10: archive[/opt/a]: creates:") == 0);
  CHECK(errors_of("/opt/a", "source: app.tar.gz\nmax_entries: 0\n").find("r.yaml:2:14: archive[/opt/a]: max_entries:") == 0);
  CHECK(errors_of("/opt/a", "source: app.tar.gz\nfrobnicate: 1\n").find("unknown property") != std::string::npos);
  CHECK(errors_of("/", "source: app.tar.gz\n").find("r.yaml:1:1: archive[/]: the destination must not be /\n") == 0);
  CHECK(errors_of("rel", "source: app.tar.gz\n").find("r.yaml:1:1: archive[rel]: path must be absolute") == 0);
  CHECK(errors_of("/opt/a", "source: 'https://x/a b'\nchecksum: " + sum + "\n") ==
        "r.yaml:1:9: archive[/opt/a]: source: must not contain spaces or control characters\n");
}

TEST_CASE("recorded_entry_inside: a state record's entry is a path inside the folder, nothing else") {
  for (const char* ok : {"a", "a/b", "a.txt", "..a", "a/.b", "a..b/c"}) {
    CAPTURE(ok);
    CHECK(recorded_entry_inside("/var/lib/roux/archive/x", 3, "/opt/app", ok));
  }
  for (const char* bad : {"", "..", "../x", "../../etc/passwd", "a/../../x", ".", "./a", "a/.", "/etc/x", "a//b", "a/",
                          "a\nb", "a\tb"}) {
    CAPTURE(bad);
    CHECK_FALSE(recorded_entry_inside("/var/lib/roux/archive/x", 3, "/opt/app", bad));
  }
}

}  // namespace roux::resources
