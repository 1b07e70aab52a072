#!/usr/bin/env bash
# git into a --root tree from a repository the test makes (served from disk): plan writes nothing
# in the tree and lists what converge does (same changes); the second converge changes nothing;
# a new commit on the branch reports old -> new commit, removes the file it dropped, and notifies
# (an exec refresh runs once per checkout or update, never for an unchanged one); a file
# edited by hand refuses the update (nothing written) until force: true; a tag and a commit id
# check out; a password in the URL never reaches output or report; bad input is a compile error
# at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/srv" "$root/var/log"
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
g() { git -C "$work/src" -c user.name=t -c user.email=t@example.invalid "$@" >/dev/null; }
mkdir -p "$work/src/bin"
git init -q -b main "$work/src"
printf 'one\n' >"$work/src/a.txt"
printf 'drop me\n' >"$work/src/b.txt"
printf '#!/bin/sh\necho run\n' >"$work/src/bin/run"
chmod 755 "$work/src/bin/run"
ln -s a.txt "$work/src/current"
g add -A
g commit -qm one
g tag v1
c1=$(git -C "$work/src" rev-parse HEAD)
git clone -q --bare "$work/src" "$work/repo.git"

owner=""
[ "$(id -u)" = 0 ] && owner='    user: "4321"'
policy() {  # policy REVISION FORCE
  write_policy "$work" app <<EOF
resources:
  - git: /srv/app
    repository: $work/repo.git
    revision: $1
    force: $2
    notify: exec[deployed]
$owner
  - exec: deployed
    command: echo deployed >> "\$ROUX_ROOT/var/log/deploys"
    refresh_only: true
EOF
}
gitchanges() { json_changes "$1" | grep '^git\[' || true; }
deploys() { [ -f "$root/var/log/deploys" ] && wc -l <"$root/var/log/deploys" || echo 0; }
policy main false

plan_then_converge "$work" "$root"
[ "$(deploys)" = 1 ] || fail "the checkout did not notify exec[deployed] once"
[ "$(gitchanges "$work/c1.json" | grep -v '	owner	')" = "git[/srv/app]	ensure	absent	directory
git[/srv/app]	mode		0755
git[/srv/app]	revision	not recorded	${c1:0:7} (main)" ] || fail "changes: $(json_changes "$work/c1.json")"
[ "$(cat "$root/srv/app/a.txt")" = one ] || fail "a.txt"
[ "$(stat -c %a "$root/srv/app/bin/run")" = 755 ] || fail "bin/run mode"
[ "$(readlink "$root/srv/app/current")" = a.txt ] || fail "link"
[ ! -e "$root/srv/app/.git" ] || fail "a .git folder was made"
if [ -n "$owner" ]; then
  [ "$(stat -c %u "$root/srv/app" "$root/srv/app/a.txt" "$root/srv/app/bin" | sort -u)" = 4321 ] || fail "user"
fi
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
[ -z "$(json_changes <(printf '%s\n' "$OUT"))" ] || fail "second converge changed something"
[ "$(deploys)" = 1 ] || fail "an unchanged checkout notified"

# A new commit: old -> new, the dropped file removed.
printf 'two\n' >"$work/src/a.txt"
printf 'new\n' >"$work/src/c.txt"
g rm -q b.txt
g add -A
g commit -qm two
c2=$(git -C "$work/src" rev-parse HEAD)
git -C "$work/src" push -q "$work/repo.git" main 2>/dev/null
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan of the update"
printf '%s\n' "$OUT" >"$work/plan2.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge of the update"
printf '%s\n' "$OUT" >"$work/c2.json"
diff <(json_changes "$work/plan2.json") <(json_changes "$work/c2.json") || fail "update: plan and converge differ"
[ "$(deploys)" = 2 ] || fail "the update did not notify"
[ "$(gitchanges "$work/c2.json")" = "git[/srv/app]	revision	${c1:0:7} (main)	${c2:0:7} (main)" ] ||
  fail "update changes: $(json_changes "$work/c2.json")"
[ "$(cat "$root/srv/app/a.txt")" = two ] && [ "$(cat "$root/srv/app/c.txt")" = new ] || fail "update content"
[ ! -e "$root/srv/app/b.txt" ] || fail "dropped file kept"

# A hand edit: the update back to v1 is refused, nothing written; force: true discards it.
echo mine >"$root/srv/app/a.txt"
policy v1 false
before=$(tree_checksum "$root" var/lib/roux)
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 4 "local modification"
printf '%s\n' "$OUT" >"$work/c3.json"
err=$(resource_field "$work/c3.json" "git[/srv/app]" error)
[ "$err" = "local modifications in /srv/app (/srv/app/a.txt (file)); nothing was checked out: undo them, or set force: true to discard them" ] ||
  fail "local modification error: $err"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a refused update changed the tree"
policy v1 true
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan with force"
printf '%s\n' "$OUT" >"$work/plan4.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge with force"
printf '%s\n' "$OUT" >"$work/c4.json"
diff <(json_changes "$work/plan4.json") <(json_changes "$work/c4.json") || fail "force: plan and converge differ"
[ "$(gitchanges "$work/c4.json")" = "git[/srv/app]	revision	${c2:0:7} (main)	${c1:0:7} (v1)" ] || fail "v1 changes: $(json_changes "$work/c4.json")"
[ "$(cat "$root/srv/app/a.txt")" = one ] && [ -e "$root/srv/app/b.txt" ] && [ ! -e "$root/srv/app/c.txt" ] || fail "v1 content"

# A commit id.
policy "$c2" false
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "commit id"
[ "$(gitchanges <(printf '%s\n' "$OUT"))" = "git[/srv/app]	revision	${c1:0:7} (v1)	${c2:0:7} ($c2)" ] || fail "commit id: $OUT"

# No revision: the remote's HEAD (main here), by a file:// URL.
write_policy "$work" app <<EOF
resources:
  - git: /srv/head
    repository: file://$work/repo.git
EOF
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "default revision"
[ "$(gitchanges <(printf '%s\n' "$OUT") | grep '	revision	')" = "git[/srv/head]	revision	not recorded	${c2:0:7} (HEAD)" ] ||
  fail "default revision: $(json_changes <(printf '%s\n' "$OUT"))"

# A password in the URL never shows.
write_policy "$work" app <<'EOF'
resources:
  - git: /srv/other
    repository: http://deploy:Sup3rSecretPw@127.0.0.1:1/app.git
EOF
for cmd in plan converge; do
  run_roux $cmd --policy "$work" --root "$root" --format json --report "$work/r.json"
  expect_rc 4 "unreachable $cmd"
  ! grep -q Sup3rSecretPw <<<"$OUT$ERR" || fail "the password leaked ($cmd): $OUT$ERR"
  ! grep -rq Sup3rSecretPw "$work/r.json" "$root" || fail "the password leaked into the report or the tree ($cmd)"
  grep -q 'http://127.0.0.1:1/app.git: fetch:' <<<"$OUT" || fail "no redacted error ($cmd): $OUT"
done

# Bad input.
write_policy "$work" app <<'EOF'
resources:
  - git: /srv/x
    repository: /srv/repo.git
    depth: 1
EOF
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad input"
grep -q "recipes/default.yaml:4:12: git\[/srv/x\]: depth: is not supported: libgit2 1.5 cannot fetch a shallow history" <<<"$ERR" || fail "depth: $ERR"
echo "PASS: git: checkout, plan == converge, idempotent, update old -> new, local edits refused then forced, tag, commit id, redacted URL, bad input"
