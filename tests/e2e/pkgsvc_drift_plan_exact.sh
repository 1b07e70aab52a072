#!/usr/bin/env bash
# Sandbox: after a converge, drift (service stopped, package rouxtool removed). plan lists exactly
# those two drifts, changes nothing (file tree, dpkg list, service states identical before and
# after), and converge then makes exactly the planned changes; a second converge makes none.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
P=/tmp/policy; write_policy $P installed "" hello
expect_rc 2 run_roux converge $P /tmp/c1.json >/dev/null
service rouxd stop >/dev/null
dpkg -r rouxtool >/dev/null
service_running rouxd && fail "could not stop rouxd"
before=$(snapshot)
expect_rc 2 run_roux plan $P /tmp/plan.json
after=$(snapshot)
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") | head -20; fail "plan changed the sandbox"; }
changes /tmp/plan.json > /tmp/plan.changes
expected=$'package[rouxtool] ensure: absent -> 1.0-1\nservice[rouxd] running: false -> true'
[ "$(cat /tmp/plan.changes)" = "$expected" ] || { cat /tmp/plan.changes; fail "plan does not list exactly the drifts"; }
expect_rc 2 run_roux converge $P /tmp/c2.json
[ "$(changes /tmp/c2.json)" = "$expected" ] || { changes /tmp/c2.json; fail "converge did not make exactly the planned changes"; }
service_running rouxd || fail "rouxd not running after converge"
[ "$(pkg_version rouxtool)" = 1.0-1 ] || fail "rouxtool not reinstalled"
expect_rc 0 run_roux converge $P /tmp/c3.json >/dev/null
echo "PASS: drift plan is exact, read-only, and equals the converge"
