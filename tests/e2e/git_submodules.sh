#!/usr/bin/env bash
# git submodules: a repository (super) with a submodule (mid, at vendor/mid) that has its own
# submodule (leaf, at deps/leaf), all with relative URLs ("../mid.git") resolved against the
# superproject's URL, served from disk. `submodules: init` lays out mid at its recorded commit and
# leaves deps/leaf an empty folder; `recursive` lays out leaf too. Each: plan == converge (JSON
# changes), the report's revision change lists the submodule commits, a second converge changes
# nothing. A leaf commit bump (recorded in mid, then in super) is a change naming old -> new.
# Hostile .gitmodules are refused before anything is written: a path "../x", an absolute path, a
# path through a link of the tree, an include section (it would read a file of this host). (A local
# URL from a remote superproject: tests/e2e/sandbox_git_resource_private.sh.)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v git >/dev/null || skip "git CLI not installed (needed to build the fixture repositories)"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/srv"
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
g() { local d=$1; shift; git -C "$work/$d" -c user.name=t -c user.email=t@example.invalid "$@" >/dev/null; }
# repo NAME: a work tree $work/NAME whose commits go to the bare $work/NAME.git (branch main).
repo() {
  git init -q -b main "$work/$1"
  git init -q --bare -b main "$work/$1.git"
}
# commit NAME MSG: commits everything and pushes; prints the commit.
commit() {
  g "$1" add --ignore-removal .  # (a gitlink has no folder in the work tree: not a removal)
  g "$1" commit -qm "$2"
  git -C "$work/$1" push -q "$work/$1.git" main 2>/dev/null
  git -C "$work/$1" rev-parse HEAD
}
# link NAME PATH COMMIT SUBNAME URL: a submodule at PATH (a gitlink) and its .gitmodules entry.
link() {
  git -C "$work/$1" config -f .gitmodules "submodule.$4.path" "$2"
  git -C "$work/$1" config -f .gitmodules "submodule.$4.url" "$5"
  g "$1" update-index --add --cacheinfo "160000,$3,$2"
}

repo leaf
echo 'leaf 1' >"$work/leaf/leaf.txt"
leaf1=$(commit leaf one)
repo mid
echo mid >"$work/mid/mid.txt"
link mid deps/leaf "$leaf1" leaf ../leaf.git
mid1=$(commit mid one)
repo super
echo top >"$work/super/a.txt"
link super vendor/mid "$mid1" mid ./../mid.git
super1=$(commit super one)

policy() {  # policy MODE [DEST] [REPOSITORY]
  write_policy "$work/p" app <<EOF
resources:
  - git: ${2:-/srv/app}
    repository: ${3:-$work/super.git}
    revision: main
    submodules: $1
EOF
}
n=0
# run_both: plan then converge (JSON) of the policy; both exit $1; same changes. Sets $C (converge report).
run_both() {
  n=$((n + 1))
  local before
  before=$(tree_checksum "$root")
  run_roux plan --policy "$work/p" --root "$root" --format json
  expect_rc "$1" "plan $n"
  printf '%s\n' "$OUT" >"$work/plan$n.json"
  [ "$(tree_checksum "$root")" = "$before" ] || fail "plan $n changed the tree"
  run_roux converge --policy "$work/p" --root "$root" --format json
  expect_rc "$1" "converge $n"; [ -n "${DEBUG:-}" ] && echo "$OUT" >&2
  C="$work/c$n.json"
  printf '%s\n' "$OUT" >"$C"
  diff <(json_changes "$work/plan$n.json") <(json_changes "$C") || fail "plan $n and converge $n differ"
  diff_of "$C"
}
# diff_of REPORT: the git resource's revision change's detail text, into REPORT.diff.
diff_of() {
  python3 - "$1" >"$1.diff" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["resources"]:
    for c in r.get("changes", []):
        if r["type"] == "git" and c["property"] == "revision":
            print(c.get("diff", ""))
PY
}
idempotent() {
  run_roux converge --policy "$work/p" --root "$root" --format json
  expect_rc 0 "second converge after $n"
  [ -z "$(json_changes <(printf '%s\n' "$OUT"))" ] || fail "second converge after $n changed something"
}

# 1. init: mid at its commit, leaf an empty folder.
policy init
run_both 2
[ "$(cat "$root/srv/app/a.txt")" = top ] && [ "$(cat "$root/srv/app/vendor/mid/mid.txt")" = mid ] || fail "init: mid not laid out"
[ -d "$root/srv/app/vendor/mid/deps/leaf" ] && [ -z "$(ls -A "$root/srv/app/vendor/mid/deps/leaf")" ] || fail "init: leaf not an empty folder"
[ ! -e "$root/srv/app/vendor/mid/.git" ] || fail "init: a .git was made"
grep -qx "submodule vendor/mid: $mid1 (file://$work/mid.git)" "$C.diff" || fail "init: no submodule commit: $(cat "$C.diff")"
grep -q "deps/leaf:" "$C.diff" && fail "init laid out a nested submodule"
idempotent

# 2. recursive: leaf too (a change of the same commit: the layout differs).
policy recursive
run_both 2
[ "$(cat "$root/srv/app/vendor/mid/deps/leaf/leaf.txt")" = "leaf 1" ] || fail "recursive: leaf not laid out"
grep -qx "submodule vendor/mid/deps/leaf: $leaf1 (file://$work/leaf.git)" "$C.diff" || fail "recursive: $(cat "$C.diff")"
idempotent

# 3. A leaf bump, recorded in mid then in super: old -> new, the file updated.
echo 'leaf 2' >"$work/leaf/leaf.txt"
leaf2=$(commit leaf two)
g mid update-index --cacheinfo "160000,$leaf2,deps/leaf"
mid2=$(commit mid bump)
g super update-index --cacheinfo "160000,$mid2,vendor/mid"
super2=$(commit super bump)
run_both 2
[ "$(cat "$root/srv/app/vendor/mid/deps/leaf/leaf.txt")" = "leaf 2" ] || fail "bump: leaf not updated"
grep -qx "submodule vendor/mid/deps/leaf: ${leaf1:0:7} -> $leaf2 (file://$work/leaf.git)" "$C.diff" || fail "bump: $(cat "$C.diff")"
[ "$(json_changes "$C" | grep '	revision	')" = "git[/srv/app]	revision	${super1:0:7} (main)	${super2:0:7} (main)" ] ||
  fail "bump: $(json_changes "$C")"
idempotent

# 3b. Back to none: the submodules' files are dropped, but never through a folder since replaced
# by a link (not even with force: true); the link's target keeps its identical file.
mv "$root/srv/app/vendor/mid/deps" "$root/srv/deps.real"
ln -s ../../../deps.real "$root/srv/app/vendor/mid/deps"
write_policy "$work/p" app <<EOF
resources:
  - git: /srv/app
    repository: $work/super.git
    revision: main
    force: true
EOF
run_both 2
[ "$(cat "$root/srv/deps.real/leaf/leaf.txt")" = "leaf 2" ] || fail "a dropped file was removed through a link"
[ ! -e "$root/srv/app/vendor/mid/mid.txt" ] || fail "none: the submodule's files were kept"
idempotent
rm -rf "$root/srv/deps.real" "$root/srv/app/vendor/mid/deps"

# 4. Hostile .gitmodules: refused, nothing written (each in its own repository and folder).
hostile() {  # hostile NAME WANT: super-like repo NAME, its .gitmodules edited by the caller first
  policy recursive "/srv/$1" "$work/$1.git"
  run_both 4
  local err
  err=$(resource_field "$C" "git[/srv/$1]" error)
  [[ "$err" == *"$2"* ]] || fail "$1: unclear error (want: $2): $err"
  [ ! -e "$root/srv/$1" ] || fail "$1: something was written"
}
for h in up abs through inc; do
  repo "$h"
  echo x >"$work/$h/a.txt"
done
link up vendor/mid "$mid1" mid ../mid.git
git -C "$work/up" config -f .gitmodules submodule.evil.path ../outside
git -C "$work/up" config -f .gitmodules submodule.evil.url ../mid.git
commit up one >/dev/null
hostile up 'gives submodule "evil" the path "../outside", which is not a path inside the folder'
link abs vendor/mid "$mid1" mid ../mid.git
git -C "$work/abs" config -f .gitmodules submodule.evil.path /etc/evil
commit abs one >/dev/null
hostile abs 'the path "/etc/evil", which is not a path inside the folder'
ln -s /etc "$work/through/conf"
link through vendor/mid "$mid1" mid ../mid.git
git -C "$work/through" config -f .gitmodules submodule.evil.path conf/evil
commit through one >/dev/null
hostile through 'the path "conf/evil", through the link conf'
link inc vendor/mid "$mid1" mid ../mid.git
git -C "$work/inc" config -f .gitmodules include.path /etc/roux-secret.conf
commit inc one >/dev/null
hostile inc '.gitmodules has an include section; nothing was checked out'

# 5. Bad input at compile time.
write_policy "$work/p" app <<'EOF'
resources:
  - git: /srv/x
    repository: /srv/repo.git
    submodules: all
EOF
run_roux plan --policy "$work/p" --root "$root"
expect_rc 1 "bad submodules value"
grep -q "recipes/default.yaml:4:17: git\[/srv/x\]: submodules:" <<<"$ERR" || fail "bad value: $ERR"
echo "PASS: git submodules: init, recursive, plan == converge, idempotent, bump old -> new, hostile .gitmodules refused"
