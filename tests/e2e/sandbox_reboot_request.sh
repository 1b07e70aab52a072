#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh: converges the sandbox's own /, never the machine): a reboot
# resource notified by a package upgrade (rouxd 1.0-1 -> 1.1-1, subscribe + refresh_only), with a
# recording stub as the reboot command (client.yaml reboot: {command: [...]}), so nothing reboots.
#  - client.yaml does not allow reboots: converge upgrades and records the request (plan ==
#    converge), the report holds it pending with the reason, the command never runs; the second
#    converge makes 0 changes and still reports it pending;
#  - a plan with reboots allowed says the converge would reboot, and runs nothing;
#  - allowed: the next converge (0 changes) runs the command exactly once, after its report
#    (--report) and its history line are written, with ROUX_REBOOT_DELAY_MINUTES/MESSAGE;
#  - a failed resource in the run holds the reboot; a failing reboot command sets the failure bit
#    of the exit code and the request stays pending.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
cat > /usr/local/sbin/record-reboot <<'S'
#!/bin/sh
# The stand-in reboot: records what it was given and what was already written when it ran.
{
  printf 'argv: [%s]' "$0"; for a in "$@"; do printf ' [%s]' "$a"; done; echo
  echo "delay=$ROUX_REBOOT_DELAY_MINUTES message=$ROUX_REBOOT_MESSAGE"
  python3 - <<'PY'
import json
rep = json.load(open("/tmp/report.json"))
hist = json.loads(open("/var/lib/roux/history.jsonl").read().splitlines()[-1])
print("report written:", rep["reboot"]["decision"], "history written:", hist["run_id"] == rep["run_id"], hist.get("reboot"))
PY
} >> /tmp/reboots
exit "${STUB_RC:-0}"
S
chmod 755 /usr/local/sbin/record-reboot
mkdir -p /etc/roux
reboots() { [ -f /tmp/reboots ] && grep -c '^argv:' /tmp/reboots || echo 0; }
conv() {  # conv MODE -> exit code; the report in /tmp/report.json (removed first)
  rm -f /tmp/report.json
  run_roux "$1" $P /tmp/report.json >/dev/null
}
P=/tmp/policy
write_policy $P installed 1.0-1 hello
expect_rc 2 run_roux converge $P /tmp/c0.json >/dev/null
[ "$(pkg_version rouxd)" = 1.0-1 ] || fail "pin 1.0-1 not installed"
extra='  - reboot: rouxd-upgrade
    action: reboot
    reason: rouxd upgraded
    refresh_only: true
    subscribe: package[rouxd]
'
write_policy $P installed 1.1-1 hello "$extra"
printf 'reboot:\n  command: [/usr/local/sbin/record-reboot, --now]\n' > /etc/roux/client.yaml
expect_rc 2 run_roux plan $P /tmp/plan.json >/dev/null
[ ! -e /run/roux/reboot-requests ] || fail "plan recorded a request"
expect_rc 2 run_roux converge $P /tmp/c1.json >/dev/null
[ "$(pkg_version rouxd)" = 1.1-1 ] || fail "not upgraded"
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
changes /tmp/c1.json | grep -qx 'reboot\[rouxd-upgrade\] request:  -> reboot: rouxd upgraded' || fail "request: $(changes /tmp/c1.json)"
[ "$(field /tmp/c1.json 'r["reboot"]["why"]')" = "the client config does not allow reboots (reboot: {allow: true} in client.yaml)" ] ||
  fail "why: $(field /tmp/c1.json 'r["reboot"]')"
[ "$(field /tmp/plan.json 'r["reboot"]')" = "$(field /tmp/c1.json 'r["reboot"]')" ] || fail "plan and converge decide differently"
grep -qF 'reboot pending: rouxd upgraded (reboot[rouxd-upgrade]); not rebooting: the client config does not allow reboots' /tmp/c1.json.txt ||
  fail "summary: $(cat /tmp/c1.json.txt)"
[ "$(cat /run/roux/reboot-requests)" = "reboot[rouxd-upgrade]	reboot	0	rouxd upgraded" ] || fail "record"
expect_rc 0 conv converge
[ "$(field /tmp/report.json 'r["reboot"]["pending"]')" = True ] || fail "second converge: not pending"
[ "$(reboots)" = 0 ] || fail "the command ran without reboot.allow"

printf 'reboot:\n  allow: true\n  command: [/usr/local/sbin/record-reboot, --now]\n' > /etc/roux/client.yaml
expect_rc 0 conv plan
[ "$(field /tmp/report.json 'r["reboot"]["decision"]')" = reboot ] || fail "plan: $(field /tmp/report.json 'r["reboot"]')"
grep -qF 'reboot: the converge would reboot the host at its end (now): rouxd upgraded (reboot[rouxd-upgrade])' /tmp/report.json.txt ||
  fail "plan summary: $(cat /tmp/report.json.txt)"
[ "$(reboots)" = 0 ] || fail "plan ran the reboot command"
expect_rc 0 conv converge
[ "$(reboots)" = 1 ] || fail "allowed converge: $(reboots) reboots"
[ "$(cat /tmp/reboots)" = "argv: [/usr/local/sbin/record-reboot] [--now]
delay=0 message=roux: rouxd upgraded (reboot[rouxd-upgrade])
report written: reboot history written: True {'pending': True, 'decision': 'reboot'}" ] || fail "stub saw: $(cat /tmp/reboots)"
[ "$(field /tmp/report.json 'r["reboot"]["command"]')" = "['/usr/local/sbin/record-reboot', '--now']" ] || fail "command"
grep -qF 'reboot: rebooting the host now, after this report: rouxd upgraded (reboot[rouxd-upgrade])' /tmp/report.json.txt ||
  fail "converge summary: $(cat /tmp/report.json.txt)"

# A failure in the run holds it.
write_policy $P installed 1.1-1 hello "$extra  - exec: /bin/false
"
expect_rc 4 conv converge
[ "$(field /tmp/report.json 'r["reboot"]["why"]')" = "1 failure in this run: the host is not rebooted onto a half-applied policy" ] ||
  fail "failure: $(field /tmp/report.json 'r["reboot"]')"
[ "$(reboots)" = 1 ] || fail "rebooted despite a failure"
# A failing reboot command: the failure bit, the request stays.
write_policy $P installed 1.1-1 hello "$extra"
rc=0; STUB_RC=3 "$ROUX" converge --policy $P --report /tmp/report.json --no-color > /tmp/out.txt 2>&1 || rc=$?
[ "$rc" = 4 ] || fail "failing reboot command: exit $rc: $(cat /tmp/out.txt)"
grep -qF 'reboot: /usr/local/sbin/record-reboot --now failed: exit 3' /tmp/out.txt || fail "error: $(cat /tmp/out.txt)"
[ -s /run/roux/reboot-requests ] || fail "the request went with a failed reboot"
echo "PASS: reboot notified by a package upgrade: held (not allowed, failure), plan == converge, reboot command once after the report"
