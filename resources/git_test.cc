// git: the compile-time errors at file:line:col.
#include <doctest/doctest.h>

#include "resources/builtin.h"
#include "resources/compile_errors_test_util.h"
#include "resources/git.h"

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
  CHECK(errors_of("/srv/app", "repository: /r\nsubmodules: recursive\n") == "");
  CHECK(errors_of("/srv/app", "repository: /r\nsubmodules: init\n") == "");
  CHECK(errors_of("/srv/app", "repository: /r\nsubmodules: all\n").find("r.yaml:2:13: git[/srv/app]: submodules:") == 0);
  CHECK(errors_of("/srv/app", "repository: /r\nrevision: '--upload-pack=x'\n") ==
        "r.yaml:2:11: git[/srv/app]: revision: expected a branch, a tag or a 40-digit commit id\n");
  CHECK(errors_of("/srv/app", "repository: /r\nforce: yes please\n").find("r.yaml:2:8: git[/srv/app]: force:") == 0);
  CHECK(errors_of("/srv/app", "repository: /r\nuser: '99999999999'\n").find("r.yaml:2:7: git[/srv/app]: user:") == 0);
  CHECK(errors_of("/", "repository: /r\n").find("r.yaml:1:1: git[/]: the destination must not be /") == 0);
}

}  // namespace roux::resources

namespace roux::resources {

TEST_CASE("git: a submodule's relative URL against its superproject's, as git resolves it") {
  CHECK(resolve_relative_git_url("https://h/a/super.git", "../lib.git") == "https://h/a/lib.git");
  CHECK(resolve_relative_git_url("https://h/a/super.git/", "./lib.git") == "https://h/a/super.git/lib.git");
  CHECK(resolve_relative_git_url("https://h/a/super.git", "../../b/lib.git") == "https://h/b/lib.git");
  CHECK(resolve_relative_git_url("file:///srv/git/super.git", "../lib.git") == "file:///srv/git/lib.git");
  CHECK(resolve_relative_git_url("git@h:a/super.git", "../lib.git") == "git@h:a/lib.git");
  CHECK(resolve_relative_git_url("git@h:super.git", "../lib.git") == "git@h:lib.git");
  CHECK(resolve_relative_git_url("ssh://git@h:2222/r/super.git", "../lib.git") == "ssh://git@h:2222/r/lib.git");
  // Never above the path into the host, never a ".." kept.
  CHECK(resolve_relative_git_url("https://h/super.git", "../../lib.git") == std::nullopt);
  CHECK(resolve_relative_git_url("git@h:super.git", "../../lib.git") == std::nullopt);
  CHECK(resolve_relative_git_url("https://h/a/super.git", "../x/../../../lib.git") == std::nullopt);
  CHECK(resolve_relative_git_url("https://h/a/super.git", "..") == std::nullopt);
}

TEST_CASE("git: repository URL rules (the resource's and its submodules')") {
  CHECK(check_repository_url("https://h/a.git") == std::nullopt);
  CHECK(check_repository_url("git@h:a.git") == std::nullopt);
  CHECK(check_repository_url("ext::sh -c x").has_value());
  CHECK(check_repository_url("/srv/a.git").has_value());  // callers make a path a file:// URL first
  CHECK(check_repository_url("https://h/a b.git") == "must not contain spaces or control characters");
}

}  // namespace roux::resources
