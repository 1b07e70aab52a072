#!/usr/bin/env bash
# A failing resource fails itself; its dependents (direct and transitive) are skipped with a reason
# naming it; independent resources still converge; exit 6 (changes + failure). With
# ignore_failure the failure is reported but the exit stays 2 and dependents run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
# /etc/blocker is a regular file, so a file below it cannot be written.
write_policy "$work" app <<'EOF2'
resources:
  - exec: broken
    command: "false"
  - file: /etc/needs-broken
    content: "x\n"
    requires: exec[broken]
  - file: /etc/needs-needs-broken
    content: "y\n"
    requires: file[/etc/needs-broken]
  - file: /etc/blocker
    content: "i am a file\n"
  - file: /etc/blocker/child
    content: "z\n"
    requires: file[/etc/blocker]
  - exec: after child
    command: touch "$ROUX_ROOT/etc/after-child"
    requires: file[/etc/blocker/child]
  - file: /etc/independent
    content: "ok\n"
EOF2
run_roux converge --policy "$work" --root "$root" --report "$work/r.json"
expect_rc 6 "converge with failures and changes"
status() { resource_field "$work/r.json" "$1" status; }
reason() { resource_field "$work/r.json" "$1" skip_reason; }
[ "$(status 'exec[broken]')" = failed ] || fail "exec[broken] status $(status 'exec[broken]')"
[ -n "$(resource_field "$work/r.json" 'exec[broken]' error)" ] || fail "exec[broken] has no error text"
[ "$(status 'file[/etc/needs-broken]')" = skipped ] || fail "direct dependent not skipped"
[ "$(reason 'file[/etc/needs-broken]')" = "dependency exec[broken] failed" ] || fail "reason: $(reason 'file[/etc/needs-broken]')"
[ "$(status 'file[/etc/needs-needs-broken]')" = skipped ] || fail "transitive dependent not skipped"
[ "$(reason 'file[/etc/needs-needs-broken]')" = "dependency exec[broken] failed" ] ||
  fail "transitive reason does not name the root cause: $(reason 'file[/etc/needs-needs-broken]')"
[ "$(status 'file[/etc/blocker]')" = changed ] || fail "blocker file"
[ "$(status 'file[/etc/blocker/child]')" = failed ] || fail "file under a regular file: $(status 'file[/etc/blocker/child]')"
resource_field "$work/r.json" 'file[/etc/blocker/child]' error | grep -qiE 'not a (directory|folder)' ||
  fail "child error: $(resource_field "$work/r.json" 'file[/etc/blocker/child]' error)"
[ "$(status 'exec[after child]')" = skipped ] || fail "exec after child"
[ "$(reason 'exec[after child]')" = "dependency file[/etc/blocker/child] failed" ] || fail "reason: $(reason 'exec[after child]')"
[ "$(status 'file[/etc/independent]')" = changed ] || fail "independent resource did not converge"
[ "$(cat "$root/etc/independent")" = ok ] || fail "independent content"
[ ! -e "$root/etc/needs-broken" ] && [ ! -e "$root/etc/needs-needs-broken" ] && [ ! -e "$root/etc/after-child" ] ||
  fail "a skipped resource was applied"
[ "$(json_get "$work/r.json" 'r["totals"]')" = '{"total": 7, "changed": 2, "would_change": 0, "unchanged": 0, "failed": 2, "skipped": 3, "add": 2, "change": 0, "destroy": 0, "replace": 0}' ] ||
  fail "totals: $(json_get "$work/r.json" 'r["totals"]')"
grep -q "exec\[broken\]: failed" <<<"$(cat "$root/var/lib/roux/last_run.json" | python3 -c 'import json,sys; [print(x["id"]+": "+x["status"]) for x in json.load(sys.stdin)["resources"]]')" ||
  fail "last_run.json does not record the failure"
# Text output names the failure and the skips.
"$ROUX" converge --policy "$work" --root "$root" >"$work/out.txt" 2>&1 || true
grep -q '! exec\[broken\]: failed' "$work/out.txt" || fail "text: failure line: $(cat "$work/out.txt")"
grep -q 'file\[/etc/needs-broken\]: skipped: dependency exec\[broken\] failed' "$work/out.txt" || fail "text: skip line"
# Second run: the independent file is converged, failures remain: exit 4.
run_roux converge --policy "$work" --root "$root"
expect_rc 4 "re-run with only failures"

# --- ignore_failure: the failure is reported, the exit stays 2, dependents run.
work2=$(e2e_tmpdir)
root2="$work2/root"
mkdir -p "$root2/etc"
write_policy "$work2" app <<'EOF2'
resources:
  - exec: optional
    command: "false"
    ignore_failure: true
  - file: /etc/after-optional
    content: "x\n"
    requires: exec[optional]
EOF2
run_roux converge --policy "$work2" --root "$root2" --report "$work2/r.json"
expect_rc 2 "converge with an ignored failure"
[ "$(resource_field "$work2/r.json" 'exec[optional]' status)" = failed ] || fail "ignored failure not reported"
[ "$(resource_field "$work2/r.json" 'exec[optional]' failure_ignored)" = true ] || fail "failure_ignored flag"
[ "$(resource_field "$work2/r.json" 'file[/etc/after-optional]' status)" = changed ] || fail "dependent of ignored failure"
echo "ok"
