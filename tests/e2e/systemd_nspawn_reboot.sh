#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh: real systemd as PID 1 in a container; the machine is
# never touched): a reboot resource with action: reboot and client.yaml reboot: {allow: true}
# really reboots the container with the default command (shutdown -r now MESSAGE), at the end of
# the converge, after its report.
#  - plan says the converge would reboot, records nothing, and the container keeps running;
#  - converge: the report (written to a folder bound from outside) says decision reboot with the
#    command; a unit's ExecStop, run by systemd while it goes down, sees reboot.target queued (a
#    reboot, not a poweroff), and the report was already there then;
#  - the container went down: the script, sleeping 60 s after the converge, never finishes.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then
  source "$(dirname "$0")/lib.sh"
  out=$(e2e_tmpdir)
  t0=$(date +%s)
  rc=0; "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0" --bind "$out:/out" || rc=$?
  [ "$rc" != 77 ] || exit 77
  took=$(( $(date +%s) - t0 ))
  [ -f "$out/plan-ok" ] || fail "the inner script failed before the converge (exit $rc)"
  [ ! -e "$out/survived" ] || fail "the container was still running 60 s after the converge: $(cat "$out/survived")"
  [ -f "$out/jobs-at-shutdown" ] || fail "the watch unit never stopped: the container did not go down (exit $rc, ${took}s)"
  grep -q 'reboot.target' "$out/jobs-at-shutdown" || fail "not a reboot: jobs at shutdown: $(cat "$out/jobs-at-shutdown")"
  [ "$(cat "$out/report-at-shutdown")" = "reboot" ] || fail "the report was not written before the reboot: $(cat "$out/report-at-shutdown")"
  python3 - "$out/report.json" <<'PY' || fail "report: $(cat "$out/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit_code"] == 2, r["exit_code"]
assert r["reboot"]["decision"] == "reboot", r["reboot"]
assert r["reboot"]["command"] == ["shutdown", "-r", "now", "roux: kernel upgraded (reboot[kernel])"], r["reboot"]
PY
  echo "PASS: reboot in a systemd container: plan holds still, converge reports then reboots (reboot.target), the container went down (${took}s)"
  exit 0
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
# A unit that notes, while systemd stops it, which jobs are queued and whether the report is there.
cat > /usr/local/bin/roux-watch-stop <<'W'
#!/bin/sh
python3 -c 'import json; print(json.load(open("/out/report.json"))["reboot"]["decision"])' > /out/report-at-shutdown 2>&1
systemctl list-jobs --no-legend --no-pager > /out/jobs-at-shutdown 2>&1
W
chmod 755 /usr/local/bin/roux-watch-stop
cat > /etc/systemd/system/roux-watch.service <<'U'
[Unit]
Description=roux e2e: note how the container goes down
# Stopped early in the shutdown (default dependencies), before /out is unmounted.
RequiresMountsFor=/out
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/usr/local/bin/roux-watch-stop
U
systemctl daemon-reload
systemctl start roux-watch.service
mkdir -p /tmp/p/cookbooks/app/recipes /etc/roux
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > /tmp/p/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > /tmp/p/cookbooks/app/metadata.yaml
printf 'resources:\n  - reboot: kernel\n    action: reboot\n    reason: kernel upgraded\n' > /tmp/p/cookbooks/app/recipes/default.yaml
printf 'reboot:\n  allow: true\n' > /etc/roux/client.yaml
rc=0; "$ROUX" plan --policy /tmp/p --report /out/plan.json > /out/plan.txt 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "plan: exit $rc: $(cat /out/plan.txt)"
[ ! -e /run/roux/reboot-requests ] || fail "plan recorded a request"
python3 -c 'import json; r=json.load(open("/out/plan.json")); assert r["reboot"]["decision"] == "reboot", r["reboot"]' || fail "plan decision"
sleep 1
[ "$(systemctl is-system-running || true)" != stopping ] || fail "plan started a shutdown"
touch /out/plan-ok
rc=0; "$ROUX" converge --policy /tmp/p --report /out/report.json > /out/converge.txt 2>&1 || rc=$?
echo "$rc" > /out/converge-rc
sleep 60
echo "converge exit $rc; $(systemctl is-system-running 2>&1)" > /out/survived
fail "still running 60 s after the converge"
