#!/usr/bin/env bash
# A command that leaves a background process holding its stdout (`daemon & echo started`) must
# not hang roux: after the command itself exits, roux reads what is left for at most 1.5 s, then
# goes on (the run finishes, the lock is released). The same for a guard. A guard that hangs is
# bounded by guard_timeout (default 300 s) and fails its resource instead of counting as yes/no.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
# The background sleeps write their pids; they are ours to stop whatever happens.
kill_leftovers() {
  local f
  for f in "$root"/*.pid; do [ -s "$f" ] && kill $(cat "$f") 2>/dev/null || true; done
  _e2e_cleanup
}
trap kill_leftovers EXIT

write_policy "$work" app <<'EOF2'
resources:
  - exec: start a daemon badly
    command: sleep 300 & echo $! >> "$ROUX_ROOT/exec-bg.pid"; echo started
  - file: /etc/guarded
    content: "guarded\n"
    only_if: sleep 300 & echo $! >> "$ROUX_ROOT/guard-bg.pid"; true
  - file: /etc/after
    content: "after\n"
EOF2

start=$(date +%s)
RC=0
timeout 60 "$ROUX" converge --policy "$work" --root "$root" --format json --report "$work/report.json" \
  >"$work/out" 2>"$work/err" || RC=$?
took=$(( $(date +%s) - start ))
[ "$RC" != 124 ] || fail "roux hung on a background child holding stdout (killed by timeout after 60 s)"
OUT=$(cat "$work/out") ERR=$(cat "$work/err")
expect_rc 2 "converge"
[ "$took" -lt 30 ] || fail "converge took ${took}s: it waited for the background child"
[ -s "$root/exec-bg.pid" ] && kill -0 $(cat "$root/exec-bg.pid") 2>/dev/null ||
  fail "the exec's background process was not started or was killed (it is the user's to keep)"
[ "$(resource_field "$work/report.json" "exec[start a daemon badly]" status)" = changed ] || fail "exec status"
out=$(resource_field "$work/report.json" "exec[start a daemon badly]" output)
grep -q started <<<"$out" || fail "exec output lost: $out"
[ "$(cat "$root/etc/guarded")" = guarded ] || fail "only_if with a background child did not pass"
[ "$(cat "$root/etc/after")" = after ] || fail "the run did not go on after the guard"

# A guard that hangs: bounded by guard_timeout; it fails its resource (neither yes nor no), the
# run goes on, and the lock is free right after (the next run does not wait).
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/hung-guard
    content: "never\n"
    not_if: sleep 30
    guard_timeout: 2
  - file: /etc/after2
    content: "after\n"
EOF2
start=$(date +%s)
RC=0
timeout 60 "$ROUX" converge --policy "$work" --root "$root" --report "$work/report2.json" >"$work/out" 2>"$work/err" || RC=$?
took=$(( $(date +%s) - start ))
OUT=$(cat "$work/out") ERR=$(cat "$work/err")
expect_rc 6 "converge (one change, one failure: the hung guard)"
[ "$took" -lt 25 ] || fail "the hung guard was not cut at 2 s (took ${took}s)"
[ ! -e "$root/etc/hung-guard" ] || fail "a timed-out not_if counted as 'do not skip'"
[ "$(resource_field "$work/report2.json" "file[/etc/hung-guard]" status)" = failed ] || fail "hung guard: not failed"
err=$(resource_field "$work/report2.json" "file[/etc/hung-guard]" error)
grep -q "not_if \`sleep 30\` timed out after 2s" <<<"$err" || fail "hung guard error: $err"
[ "$(cat "$root/etc/after2")" = after ] || fail "the run did not go on after the hung guard"
run_roux converge --policy "$work" --root "$root" --lock-wait 0
expect_rc 4 "the next converge (the guard fails again; the lock was free)"
echo ok
