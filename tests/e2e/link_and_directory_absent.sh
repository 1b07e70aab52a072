#!/usr/bin/env bash
# link: created, re-pointed when it points elsewhere (plan says from -> to), refuses to replace a
# regular file unless force: true, removed with ensure: absent. directory ensure: absent refuses a
# non-empty folder without recursive (the resource fails, the rest converges) and removes the whole
# tree with recursive: true; plan of the removal changes nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/srv/releases/1" "$root/srv/releases/2" "$root/srv/old/deep/er" "$root/srv/keep/sub"
echo x >"$root/srv/old/deep/er/file"
echo y >"$root/srv/keep/sub/file"
ln -s /srv/releases/1 "$root/srv/current"
echo "a plain file" >"$root/srv/plain"
echo "another plain file" >"$root/srv/forced"
ln -s /nowhere "$root/srv/stale"
write_policy "$work" app <<'EOF2'
resources:
  - link: /srv/current
    to: /srv/releases/2
  - link: /srv/plain
    to: /srv/releases/2
  - link: /srv/forced
    to: /srv/releases/2
    force: true
  - link: /srv/stale
    ensure: absent
  - link: /srv/new
    to: ../releases/1
  - directory: /srv/old
    ensure: absent
    recursive: true
  - directory: /srv/keep
    ensure: absent
EOF2
before=$(tree_checksum "$root")
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 6 "plan"
printf '%s\n' "$OUT" >"$work/plan.json"
[ "$(tree_checksum "$root")" = "$before" ] || fail "plan changed the tree"
run_roux converge --policy "$work" --root "$root" --report "$work/apply.json"
expect_rc 6 "converge (changes + the two refusals)"
[ "$(readlink "$root/srv/current")" = /srv/releases/2 ] || fail "link not re-pointed"
[ "$(resource_field "$work/apply.json" 'link[/srv/current]' changes)" = '[{"property": "to", "before": "/srv/releases/1", "after": "/srv/releases/2"}]' ] ||
  fail "link change: $(resource_field "$work/apply.json" 'link[/srv/current]' changes)"
[ -f "$root/srv/plain" ] && [ ! -L "$root/srv/plain" ] || fail "a regular file was replaced without force"
resource_field "$work/apply.json" 'link[/srv/plain]' error | grep -q 'is a regular file; set force: true' || fail "plain error"
[ "$(readlink "$root/srv/forced")" = /srv/releases/2 ] || fail "force did not replace the file"
[ ! -e "$root/srv/stale" ] && [ ! -L "$root/srv/stale" ] || fail "stale link not removed"
[ "$(readlink "$root/srv/new")" = ../releases/1 ] || fail "relative link target"
[ ! -e "$root/srv/old" ] || fail "recursive removal left $(find "$root/srv/old")"
[ -f "$root/srv/keep/sub/file" ] || fail "a non-empty folder was removed without recursive"
resource_field "$work/apply.json" 'directory[/srv/keep]' error | grep -q 'is not empty (1 entries); set recursive: true' ||
  fail "keep error: $(resource_field "$work/apply.json" 'directory[/srv/keep]' error)"
# plan == apply on what was applied.
json_changes "$work/plan.json" >"$work/plan.changes"
json_changes "$work/apply.json" >"$work/apply.changes"
diff -u "$work/plan.changes" "$work/apply.changes" || fail "plan != apply"
# Only the refusals remain.
run_roux converge --policy "$work" --root "$root"
expect_rc 4 "second converge: only the two refusals"
echo "ok"
