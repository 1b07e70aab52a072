#!/usr/bin/env bash
# Two concurrent converges: while one holds the run lock, a second exits 1 naming the holder's pid;
# with --lock-wait it waits for the first to finish and then succeeds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
# The slow converge: an exec that sleeps while the lock is held, after touching a marker.
write_policy "$work" slow <<'EOF2'
resources:
  - exec: hold the lock
    command: touch "$ROUX_ROOT/started"; sleep 6
EOF2
mkdir -p "$work/quick"
write_policy "$work/quick" quick <<'EOF2'
resources:
  - file: /etc/quick
    content: "quick\n"
EOF2

"$ROUX" converge --policy "$work" --root "$root" >"$work/slow.out" 2>&1 &
slow_pid=$!
wait_until 60 test -e "$root/started" || fail "the slow converge never started its exec"

run_roux converge --policy "$work/quick" --root "$root"
expect_rc 1 "second converge while the lock is held"
grep -q "(pid $slow_pid) holds the run lock" <<<"$ERR" || fail "message does not name holder pid $slow_pid: $ERR"
[ ! -e "$root/etc/quick" ] || fail "the refused converge changed the host"

# plan waits for the lock too (it must not read a half-converged host) and is refused the same way.
run_roux plan --policy "$work/quick" --root "$root"
expect_rc 1 "plan while the lock is held"
grep -q "(pid $slow_pid) holds the run lock" <<<"$ERR" || fail "plan message does not name the holder: $ERR"

start=$(date +%s%N)
run_roux converge --policy "$work/quick" --root "$root" --lock-wait 10
expect_rc 2 "converge with --lock-wait 10"
waited_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(cat "$root/etc/quick")" = quick ] || fail "waiting converge did not apply"
slow_rc=0
wait "$slow_pid" || slow_rc=$?
[ "$slow_rc" = 2 ] || { cat "$work/slow.out" >&2; fail "slow converge exit $slow_rc, want 2"; }
# It really waited for the holder: the holder's exec sleeps 6 s (long enough that a loaded machine
# still finds the lock held when the waiting run reaches it).
[ "$waited_ms" -ge 1000 ] || fail "--lock-wait converge finished in ${waited_ms} ms: it did not wait"

# A lock held past --lock-wait: exit 1 after the wait, naming the holder.
rm -f "$root/started"
"$ROUX" converge --policy "$work" --root "$root" >/dev/null 2>&1 &
slow_pid=$!
wait_until 60 test -e "$root/started" || fail "the second slow converge never started its exec"
run_roux converge --policy "$work/quick" --root "$root" --lock-wait 1
expect_rc 1 "converge with --lock-wait 1 against a 6 s holder"
grep -q "(pid $slow_pid) holds the run lock.*gave up after waiting 1s" <<<"$ERR" || fail "message: $ERR"
wait "$slow_pid" || true
echo "ok"
