#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh): changing the templated config restarts the unit exactly
# once, after the change, reported as one restart change "notified by template[/etc/rouxd.conf]";
# the unit's MainPID changes and the new daemon read the new config; plan restarts nothing and a
# no-op converge keeps the MainPID.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
mainpid() { systemctl show -p MainPID --value "$1"; }

P=/tmp/policy; write_policy $P installed "" hello
expect_rc 2 run_roux converge $P /tmp/c1.json >/dev/null
pid1=$(mainpid rouxd)
[ "$pid1" != 0 ] || fail "rouxd has no MainPID after converge"
logs1=$(grep -c 'conf:' /var/log/rouxd.log)
write_policy $P installed "" bonjour
expect_rc 2 run_roux plan $P /tmp/plan.json >/dev/null
[ "$(mainpid rouxd)" = "$pid1" ] || fail "plan restarted the daemon"
changes /tmp/plan.json | grep -qx 'service\[rouxd\] restart:  -> notified by template\[/etc/rouxd.conf\]' || fail "plan does not show the restart"
expect_rc 2 run_roux converge $P /tmp/c2.json
changes /tmp/c2.json > /tmp/c2.changes
[ "$(grep -c restart /tmp/c2.changes)" = 1 ] || fail "expected one restart change"
grep -qx 'service\[rouxd\] restart:  -> notified by template\[/etc/rouxd.conf\]' /tmp/c2.changes || fail "restart not reported with its reason"
pid2=$(mainpid rouxd)
[ "$pid2" != 0 ] && [ "$pid2" != "$pid1" ] || fail "MainPID did not change ($pid1 -> $pid2)"
[ "$(systemctl is-active rouxd)" = active ] || fail "rouxd not active after the restart"
logs2=$(grep -c 'conf:' /var/log/rouxd.log)
[ $((logs2 - logs1)) = 1 ] || fail "daemon started $((logs2 - logs1)) times, expected once"
tail -1 /var/log/rouxd.log | grep -q "pid $pid2 conf: greeting = bonjour" || fail "new daemon did not read the new config"
expect_rc 0 run_roux converge $P /tmp/c3.json >/dev/null
[ "$(mainpid rouxd)" = "$pid2" ] || fail "no-op converge restarted the daemon"
echo "PASS: systemd: config change restarts once (MainPID $pid1 -> $pid2)"
