#!/usr/bin/env bash
# Sandbox: rouxd pinned at 1.0-1, then `ensure: latest`: plan shows 1.0-1 -> 1.1-1 (from apt's
# simulation) and changes nothing; converge upgrades; the next converge makes 0 changes. hold
# marks the package held in dpkg.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
P=/tmp/policy; write_policy $P installed 1.0-1 hello
expect_rc 2 run_roux converge $P /tmp/c1.json >/dev/null
[ "$(pkg_version rouxd)" = 1.0-1 ] || fail "pin 1.0-1 not installed (got $(pkg_version rouxd))"
expect_rc 0 run_roux converge $P /tmp/c1b.json >/dev/null
write_policy $P latest "" hello
expect_rc 2 run_roux plan $P /tmp/plan.json
[ "$(pkg_version rouxd)" = 1.0-1 ] || fail "plan upgraded"
changes /tmp/plan.json | grep -x 'package\[rouxd\] ensure: 1.0-1 -> 1.1-1' >/dev/null || fail "plan does not show 1.0-1 -> 1.1-1"
expect_rc 2 run_roux converge $P /tmp/c2.json
changes /tmp/c2.json | grep -x 'package\[rouxd\] ensure: 1.0-1 -> 1.1-1' >/dev/null || fail "converge did not report the upgrade"
[ "$(pkg_version rouxd)" = 1.1-1 ] || fail "not upgraded"
service_running rouxd || fail "rouxd not running after upgrade"
expect_rc 0 run_roux converge $P /tmp/c3.json >/dev/null
# hold
write_policy $P latest "" hello $'  - package: rouxtool-held\n    package_name: librouxd\n    hold: true\n'
expect_rc 2 run_roux converge $P /tmp/c4.json >/dev/null
changes /tmp/c4.json | grep -x 'package\[rouxtool-held\] hold: false -> true' >/dev/null || fail "hold not reported"
dpkg-query -W -f='${Status}' librouxd | grep '^hold ' >/dev/null || fail "librouxd not held"
expect_rc 0 run_roux converge $P /tmp/c5.json >/dev/null
echo "PASS: latest upgrades 1.0-1 -> 1.1-1 as planned; hold"
