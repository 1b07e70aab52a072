# Git fixtures for the tests/e2e/git_*.sh scenarios (sourced after ../lib.sh, never run).
# The git CLI only builds the FIXTURE repositories; roux itself reads them through libgit2.
#
#   git_fixture "$work"                    # $work/src (work tree) pushing to $work/remote.git
#   git_release "$work" base 1.0.0         # base/ at 1.0.0, committed, tagged base-v1.0.0, pushed
#   git_release "$work" web 1.0.0 "base: ~> 1.0"
#   git_policy "$work" web 'web: ">= 1.0"'  # $work/policy/policy.yaml from the remote, run list: web

command -v git >/dev/null || skip "git CLI not installed (needed to build fixture repositories)"

export GIT_AUTHOR_NAME=roux-e2e GIT_AUTHOR_EMAIL=e2e@example.invalid
export GIT_COMMITTER_NAME=roux-e2e GIT_COMMITTER_EMAIL=e2e@example.invalid
export GIT_CONFIG_NOSYSTEM=1 HOME=${HOME:-/tmp}

git_fixture() {
  local dir=$1
  git init -q --bare "$dir/remote.git"
  git init -q "$dir/src"
  git -C "$dir/src" remote add origin "$dir/remote.git"
}

# git_release DIR NAME VERSION [DEPENDS_LINE]: cookbook NAME whose default recipe writes
# /etc/roux-e2e/NAME.txt = "NAME VERSION" (the test makes ROOT/etc/roux-e2e), released as tag
# NAME-vVERSION.
git_release() {
  local dir=$1 name=$2 version=$3 dep=${4:-}
  local cb="$dir/src/$name"
  mkdir -p "$cb/recipes"
  {
    printf 'name: %s\nversion: %s\n' "$name" "$version"
    [ -n "$dep" ] && printf 'depends:\n  %s\n' "$dep"
  } >"$cb/metadata.yaml"
  cat >"$cb/recipes/default.yaml" <<YAML
resources:
  - file: /etc/roux-e2e/$name.txt
    content: "$name $version\n"
YAML
  git -C "$dir/src" add -A
  git -C "$dir/src" commit -q -m "$name $version"
  git -C "$dir/src" tag "$name-v$version"
  git -C "$dir/src" push -q origin HEAD:refs/heads/main "refs/tags/$name-v$version"
}

# git_policy DIR "ITEM..." [CONSTRAINT_LINE...]: DIR/policy/policy.yaml using the remote, run list ITEM...
git_policy() {
  local dir=$1 item=$2
  shift 2
  mkdir -p "$dir/policy"
  {
    printf 'name: gitpolicy\nsources:\n  - git+file://%s/remote.git\nrun_list:\n' "$dir"
    for i in $item; do printf '  - %s\n' "$i"; done
    if [ $# -gt 0 ]; then
      printf 'cookbooks:\n'
      for c in "$@"; do printf '  %s\n' "$c"; done
    fi
  } >"$dir/policy/policy.yaml"
}

# lock_field DIR NAME FIELD: a field of cookbook NAME in DIR/policy/policy.lock.json.
lock_field() {
  python3 - "$1/policy/policy.lock.json" "$2" "$3" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["cookbooks"]:
    if c["name"] == sys.argv[2]:
        print(c.get(sys.argv[3], ""))
        break
else:
    sys.exit("no cookbook " + sys.argv[2] + " in " + sys.argv[1])
PY
}
