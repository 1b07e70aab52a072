#!/usr/bin/env bash
# "journald fields when run under systemd, syslog otherwise" (issue #14): a run whose stderr is not
# the journal (cron, a shell) ends with one syslog record, facility daemon, priority notice, ident
# roux, holding the same closing line as the journal's: "run finished: run_id=... policy=...
# mode=... exit_code=N". ROUX_SYSLOG_SOCKET names the datagram socket instead of /dev/log (here a
# receiver of the test's own). Under the journal, no syslog record (the journal entry is the
# record). The record's text is API: checked verbatim.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/motd
    content: "hello\n"
  - exec: boom
    command: "exit 3"
    creates: /etc/never
EOF

# receive N FILE: a syslog receiver on $work/log that keeps the first datagram in FILE (or
# "none" after 3 s without one); sets RECV to its pid once it listens.
receive() {
  rm -f "$work/log" "$work/log.ready"
  python3 - "$work/log" "$1" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(3)
try:
    data = s.recv(65536)
except socket.timeout:
    data = b"none"
open(sys.argv[2], "wb").write(data)
PY
  RECV=$!
  for _ in $(seq 100); do [ -e "$work/log.ready" ] && break; sleep 0.1; done
  [ -e "$work/log.ready" ] || fail "the syslog receiver did not start"
}

# A plan from a shell: one record at <29> (daemon.notice), ident roux with its pid.
# (The exec is predicted to run; the converge runs it, and it fails: exit 6.)
receive "$work/plan.rec"
ROUX_SYSLOG_SOCKET=$work/log "$ROUX" plan --policy "$work" --root "$root" --config /dev/null >/dev/null 2>&1 && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "plan: exit $rc, want 2"
wait "$RECV" || fail "the syslog receiver failed"
grep -qxE '<29>roux\[[0-9]+\]: run finished: run_id=[0-9TZ.]+-[0-9]+ policy=e2e mode=plan exit_code=2' "$work/plan.rec" ||
  fail "plan's syslog record: $(cat "$work/plan.rec")"

# A converge: the run id in the record is the report's.
receive "$work/apply.rec"
ROUX_SYSLOG_SOCKET=$work/log "$ROUX" converge --format json --policy "$work" --root "$root" --config /dev/null \
  >"$work/apply.json" 2>/dev/null && rc=0 || rc=$?
[ "$rc" = 6 ] || fail "converge: exit $rc, want 6"
wait "$RECV" || fail "the syslog receiver failed"
run_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$work/apply.json")
grep -qxE "<29>roux\[[0-9]+\]: run finished: run_id=$run_id policy=e2e mode=apply exit_code=6" "$work/apply.rec" ||
  fail "converge's syslog record: $(cat "$work/apply.rec") (run id $run_id)"

# Under the journal (JOURNAL_STREAM names stderr): the "<5>" line (or the journal entry), and no
# syslog record.
: >"$work/journal.txt"
stream=$(stat -c '%d:%i' "$work/journal.txt")
receive "$work/journal.rec"
JOURNAL_STREAM=$stream ROUX_JOURNAL_SOCKET=$work/no-such-socket ROUX_SYSLOG_SOCKET=$work/log \
  "$ROUX" verify --policy "$work" --root "$root" --config /dev/null >/dev/null 2>>"$work/journal.txt" && rc=0 || rc=$?
[ "$rc" = 0 ] || fail "verify under the journal: exit $rc"
wait "$RECV" || fail "the syslog receiver failed"
[ "$(cat "$work/journal.rec")" = none ] || fail "a syslog record under the journal: $(cat "$work/journal.rec")"
grep -qxE '<5>roux: run finished: run_id=[0-9TZ.]+-[0-9]+ policy=e2e mode=verify exit_code=0' "$work/journal.txt" ||
  fail "closing line under the journal: $(cat "$work/journal.txt")"

# client.yaml `syslog: false`: no record (the operator's off switch); `syslog: true` is the default.
printf 'syslog: false\n' >"$work/client-off.yaml"
receive "$work/off.rec"
ROUX_SYSLOG_SOCKET=$work/log "$ROUX" converge --policy "$work" --root "$root" --config "$work/client-off.yaml" \
  >/dev/null 2>"$work/off.err" && rc=0 || rc=$?
[ "$rc" = 4 ] || fail "converge with syslog: false: exit $rc, want 4: $(cat "$work/off.err")"
wait "$RECV" || fail "the syslog receiver failed"
[ "$(cat "$work/off.rec")" = none ] || fail "a syslog record with syslog: false: $(cat "$work/off.rec")"
printf 'syslog: true\n' >"$work/client-on.yaml"
receive "$work/on.rec"
ROUX_SYSLOG_SOCKET=$work/log "$ROUX" plan --policy "$work" --root "$root" --config "$work/client-on.yaml" >/dev/null 2>&1 && rc=0 || rc=$?
wait "$RECV" || fail "the syslog receiver failed"
grep -qxE '<29>roux\[[0-9]+\]: run finished: run_id=[0-9TZ.]+-[0-9]+ policy=e2e mode=plan exit_code=2' "$work/on.rec" ||
  fail "plan's syslog record with syslog: true (exit $rc): $(cat "$work/on.rec")"
# A wrong value: refused at file:line:col before the run.
printf 'log_level: warn\nsyslog: off\n' >"$work/client-bad.yaml"
"$ROUX" plan --policy "$work" --root "$root" --config "$work/client-bad.yaml" >/dev/null 2>"$work/bad.err" && rc=0 || rc=$?
[ "$rc" = 1 ] || fail "syslog: off: exit $rc, want 1"
grep -qF "roux: error: $work/client-bad.yaml:2:9: client config: syslog: expected true or false" "$work/bad.err" ||
  fail "syslog: off: $(cat "$work/bad.err")"

# No receiver at the named socket: the run is not disturbed (best effort), nothing on stderr.
ROUX_SYSLOG_SOCKET=$work/gone "$ROUX" plan --policy "$work" --root "$root" --config /dev/null >/dev/null 2>"$work/err.txt" && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "plan without a syslog receiver: exit $rc"
grep -q 'run finished\|syslog' "$work/err.txt" && fail "a missing syslog is reported: $(cat "$work/err.txt")"
echo "ok"
