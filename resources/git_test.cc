// git: the compile-time errors at file:line:col.
#include <doctest/doctest.h>

#include "resources/builtin.h"
#include "resources/compile_errors_test_util.h"

namespace roux::resources {
namespace {

std::string errors_of(const std::string& name, const std::string& yaml) { return compile_errors(git_type(), name, yaml); }

}  // namespace

TEST_CASE("git: compile errors at the property") {
  CHECK(errors_of("/srv/app", "repository: /srv/repo.git\n") == "");
  CHECK(errors_of("/srv/app", "repository: https://git.example/app.git\nrevision: v1.2\nuser: app\ngroup: app\n"
                              "force: true\nsubmodules: none\nmode: '0750'\n") == "");
  CHECK(errors_of("/srv/app", "revision: main\n") ==
        "r.yaml:1:1: git[/srv/app]: repository: is required: an absolute path, a file:///, https://, http://, ssh:// "
        "or git:// URL, or USER@HOST:PATH (ssh)\n");
  // ssh, git:// and scp-style URLs, as git sources (the client config's git: settings apply).
  CHECK(errors_of("/srv/app", "repository: ssh://git@x:2222/app.git\n") == "");
  CHECK(errors_of("/srv/app", "repository: git://x/app.git\n") == "");
  CHECK(errors_of("/srv/app", "repository: git@x:ops/app.git\n") == "");
  CHECK(errors_of("/srv/app", "repository: ftp://x/app.git\n") ==
        "r.yaml:1:13: git[/srv/app]: repository: expected an absolute path, a file:///, https://, http://, ssh:// or "
        "git:// URL, or USER@HOST:PATH (ssh)\n");
  CHECK(errors_of("/srv/app", "repository: ext::sh -c touch% /tmp/x\n").find("r.yaml:1:13: git[/srv/app]: repository:") == 0);
  CHECK(errors_of("/srv/app", "repository: /r\ndepth: 1\n") ==
        "r.yaml:2:8: git[/srv/app]: depth: is not supported: libgit2 1.5 cannot fetch a shallow history (the whole "
        "history is fetched into roux's cache; the folder gets only the commit's files)\n");
  CHECK(errors_of("/srv/app", "repository: /r\nsubmodules: recursive\n") ==
        "r.yaml:2:13: git[/srv/app]: submodules: only none is supported: a submodule is left as an empty folder\n");
  CHECK(errors_of("/srv/app", "repository: /r\nsubmodules: all\n").find("r.yaml:2:13: git[/srv/app]: submodules:") == 0);
  CHECK(errors_of("/srv/app", "repository: /r\nrevision: '--upload-pack=x'\n") ==
        "r.yaml:2:11: git[/srv/app]: revision: expected a branch, a tag or a 40-digit commit id\n");
  CHECK(errors_of("/srv/app", "repository: /r\nforce: yes please\n").find("r.yaml:2:8: git[/srv/app]: force:") == 0);
  CHECK(errors_of("/srv/app", "repository: /r\nuser: '99999999999'\n").find("r.yaml:2:7: git[/srv/app]: user:") == 0);
  CHECK(errors_of("/", "repository: /r\n").find("r.yaml:1:1: git[/]: the destination must not be /") == 0);
}

}  // namespace roux::resources
