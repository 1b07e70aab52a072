#!/usr/bin/env bash
# Sandbox: changing the templated config restarts the daemon exactly once, after the change,
# reported as a change naming who notified ("notified by template[/etc/rouxd.conf]"); the pid
# changes and the new daemon read the new config.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
P=/tmp/policy; write_policy $P installed "" hello
expect_rc 2 run_roux converge $P /tmp/c1.json >/dev/null
pid1=$(cat /run/rouxd.pid)
starts1=$(grep -c 'conf:' /var/log/rouxd.log)
write_policy $P installed "" bonjour
expect_rc 2 run_roux plan $P /tmp/plan.json >/dev/null
[ "$(cat /run/rouxd.pid)" = "$pid1" ] || fail "plan restarted the daemon"
changes /tmp/plan.json | grep -x 'service\[rouxd\] restart:  -> notified by template\[/etc/rouxd.conf\]' >/dev/null || fail "plan does not show the restart"
expect_rc 2 run_roux converge $P /tmp/c2.json
changes /tmp/c2.json > /tmp/c2.changes
[ "$(grep -c restart /tmp/c2.changes)" = 1 ] || fail "expected one restart change"
grep -qx 'service\[rouxd\] restart:  -> notified by template\[/etc/rouxd.conf\]' /tmp/c2.changes || fail "restart not reported with its reason"
pid2=$(cat /run/rouxd.pid)
[ "$pid2" != "$pid1" ] || fail "pid did not change ($pid1)"
kill -0 "$pid2" || fail "new daemon not alive"
starts2=$(grep -c 'conf:' /var/log/rouxd.log)
[ $((starts2 - starts1)) = 1 ] || fail "daemon started $((starts2 - starts1)) times, expected once"
tail -1 /var/log/rouxd.log | grep -q "pid $pid2 conf: greeting = bonjour" || fail "new daemon did not read the new config"
expect_rc 0 run_roux converge $P /tmp/c3.json >/dev/null
[ "$(cat /run/rouxd.pid)" = "$pid2" ] || fail "no-op converge restarted the daemon"
echo "PASS: config change restarts once ($pid1 -> $pid2)"
