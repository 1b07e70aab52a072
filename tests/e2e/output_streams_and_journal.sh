#!/usr/bin/env bash
# Output as the run goes: each resource's block is printed when it settles (a later exec finds
# the earlier one's line already written); -v streams a command's output line by line
# ("  exec[x] | line"), never a sensitive one's; on a terminal a status line names the resource
# in progress with its elapsed time ("  ... exec[slow] 0.5s"), and never when piped. Under
# systemd (JOURNAL_STREAM names stderr) every stderr line carries its syslog priority ("<6>")
# and the run ends with "<5>roux: run finished: run_id=... policy=... mode=... exit_code=N", or,
# when journald's socket is there, with one native journal entry carrying ROUX_RUN_ID, ROUX_POLICY,
# ROUX_MODE, ROUX_EXIT_CODE, ROUX_CHANGED, ROUX_FAILED as fields.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root"
write_policy "$work" app <<EOF2
resources:
  - exec: first
    command: "echo one; echo two"
  - exec: second
    command: "grep -q '^  ~ exec\\\\[first\\\\]' $work/out.txt"
    requires: exec[first]
  - exec: hidden
    command: "echo s3cr3t-output"
    sensitive: true
    requires: exec[second]
EOF2
"$ROUX" converge --policy "$work" --root "$root" --config /dev/null >"$work/out.txt" 2>"$work/err.txt" && rc=0 || rc=$?
[ "$rc" = 2 ] || { cat "$work/out.txt" "$work/err.txt"; fail "converge: exit $rc (exec[second] fails unless exec[first] was printed first)"; }
! grep -q ' | ' "$work/out.txt" || fail "command output without -v: $(cat "$work/out.txt")"

"$ROUX" converge -v --policy "$work" --root "$root" --config /dev/null >"$work/out.txt" 2>"$work/err.txt" && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "converge -v: exit $rc"
got=$(sed -n '2,3p' "$work/out.txt")
[ "$got" = $'  exec[first] | one\n  exec[first] | two' ] || fail "streamed output: $(cat "$work/out.txt")"
! grep -q 's3cr3t-output' "$work/out.txt" || fail "a sensitive exec's output was streamed"
! grep -q $'\033' "$work/out.txt" "$work/err.txt" || fail "escape codes when piped"

# On a terminal (script gives a pty): the status line for a slow resource.
if command -v script >/dev/null; then
  write_policy "$work" app <<'EOF2'
resources:
  - exec: slow
    command: "sleep 1"
EOF2
  script -qec "$ROUX converge --policy $work --root $root --config /dev/null" /dev/null >"$work/tty.txt" </dev/null || true
  grep -qaE $'\r\033\\[K  \\.\\.\\. exec\\[slow\\] 0\\.[0-9]s' "$work/tty.txt" || fail "no status line on a tty: $(cat -v "$work/tty.txt")"
  "$ROUX" converge --policy "$work" --root "$root" --config /dev/null >"$work/out.txt" 2>&1 || true
  ! grep -qa '\.\.\. exec\[slow\]' "$work/out.txt" || fail "status line when piped"
fi

# Under journald.
: >"$work/journal.txt"
stream=$(stat -c '%d:%i' "$work/journal.txt")
# No journal socket: the closing record is the plain "<5>" line on stderr.
JOURNAL_STREAM=$stream ROUX_JOURNAL_SOCKET=$work/no-such-socket "$ROUX" plan -v --splay 1 --policy "$work" --root "$root" --config /dev/null >/dev/null 2>>"$work/journal.txt" && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "plan under journald: exit $rc"
grep -qx '<6>roux: splay: sleeping 0s (this host'"'"'s delay in 0..0s)' "$work/journal.txt" || fail "info priority: $(cat "$work/journal.txt")"
grep -qxE '<5>roux: run finished: run_id=[0-9TZ.]+-[0-9]+ policy=e2e mode=plan exit_code=2' "$work/journal.txt" ||
  fail "closing line: $(cat "$work/journal.txt")"
# With journald's socket (here a receiver of the test's own, speaking the native protocol's
# datagrams): the closing record is one entry with the run's identity as fields, not a line.
: >"$work/journal2.txt"
stream2=$(stat -c '%d:%i' "$work/journal2.txt")
python3 - "$work/jsock" "$work/entry.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(30)
data = s.recv(65536)
open(sys.argv[2], "wb").write(data)
PY
recv=$!
for _ in $(seq 100); do [ -e "$work/jsock.ready" ] && break; sleep 0.1; done
JOURNAL_STREAM=$stream2 ROUX_JOURNAL_SOCKET=$work/jsock "$ROUX" plan --policy "$work" --root "$root" --config /dev/null >/dev/null 2>>"$work/journal2.txt" && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "plan under journald with its socket: exit $rc"
wait $recv || fail "the journal receiver got nothing"
python3 - "$work/entry.txt" <<'PY' || fail "journal entry fields: $(cat "$work/entry.txt")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
f = dict(l.split("=", 1) for l in lines)
assert re.fullmatch(r"roux: run finished: run_id=[0-9TZ.]+-[0-9]+ policy=e2e mode=plan exit_code=2", f["MESSAGE"]), f
assert f["PRIORITY"] == "5" and f["SYSLOG_IDENTIFIER"] == "roux", f
assert f["ROUX_RUN_ID"] and f["MESSAGE"].split("run_id=")[1].split()[0] == f["ROUX_RUN_ID"], f
assert (f["ROUX_POLICY"], f["ROUX_MODE"], f["ROUX_EXIT_CODE"], f["ROUX_FAILED"]) == ("e2e", "plan", "2", "0"), f
assert int(f["ROUX_CHANGED"]) >= 1, f
PY
grep -q 'run finished' "$work/journal2.txt" && fail "the closing record was written twice (entry and line)"
# A JOURNAL_STREAM that is not this stderr (inherited, then redirected) is ignored.
JOURNAL_STREAM=1:1 "$ROUX" plan -v --splay 1 --policy "$work" --root "$root" --config /dev/null >/dev/null 2>"$work/err.txt" || true
[ "$(cat "$work/err.txt")" = "roux: splay: sleeping 0s (this host's delay in 0..0s)" ] || fail "not the journal: $(cat "$work/err.txt")"
echo ok
