#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): a package with its dependency, its templated config, its service
# started and enabled. plan on the fresh system lists the whole apt transaction (librouxd as a
# dependency, versions absent -> x) and changes nothing; converge makes exactly the planned changes
# (plan == apply): the packages, the config diffed against the copy the package ships (the
# planned host lays out the package's own files), the notified restart, and no service start or
# enable (the package's postinst does both, and the planned host knows it); the second converge
# makes 0 changes and exits 0.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
P=/tmp/policy; write_policy $P installed "" hi
before=$(snapshot)
expect_rc 2 run_roux plan $P /tmp/plan.json
[ "$(snapshot)" = "$before" ] || { diff <(echo "$before") <(snapshot) | head -40; fail "plan changed the sandbox"; }
changes /tmp/plan.json > /tmp/plan.changes
cat /tmp/plan.changes
grep -qx 'package\[rouxd\] ensure: absent -> 1.1-1' /tmp/plan.changes || fail "plan lacks rouxd install"
grep -qx 'package\[rouxd\] dependency librouxd: absent -> 1.0-1' /tmp/plan.changes || fail "plan lacks the librouxd dependency"
grep -qx 'package\[rouxtool\] ensure: absent -> 1.0-1' /tmp/plan.changes || fail "plan lacks rouxtool"
grep -q '^service\[rouxd\] running:' /tmp/plan.changes && fail "plan starts rouxd although its postinst does"
grep -q '^service\[rouxd\] enabled:' /tmp/plan.changes && fail "plan enables rouxd although its postinst does"
grep -q '^template\[/etc/rouxd.conf\] content:' /tmp/plan.changes || fail "plan does not diff the config against the package's copy"

expect_rc 2 run_roux converge $P /tmp/c1.json
changes /tmp/c1.json > /tmp/c1.changes
[ "$(pkg_version rouxd)" = 1.1-1 ] || fail "rouxd not installed at 1.1-1"
[ "$(pkg_version librouxd)" = 1.0-1 ] || fail "librouxd (dependency) not installed"
[ "$(pkg_version rouxtool)" = 1.0-1 ] || fail "rouxtool not installed"
[ "$(cat /etc/rouxd.conf)" = "greeting = hi" ] || fail "config not templated"
service_running rouxd || fail "rouxd not running"
service_enabled rouxd || fail "rouxd not enabled"
# Packages: one apt transaction. The apply lists the same package changes the plan did.
diff <(grep '^package' /tmp/plan.changes) <(grep '^package' /tmp/c1.changes) || fail "package changes differ between plan and converge"
# Plan == apply, every line (the "(predicted)" marks are the plan's only addition).
diff /tmp/plan.changes /tmp/c1.changes || fail "plan and converge differ (< plan, > converge)"
grep -qx 'service\[rouxd\] restart:  -> notified by template\[/etc/rouxd.conf\]' /tmp/c1.changes || fail "no notified restart"

expect_rc 0 run_roux converge $P /tmp/c2.json
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"
[ "$(field /tmp/c2.json 'r["totals"]["changed"]')" = 0 ] || fail "second converge reports changes"
echo "PASS: install + dependency + config + service; second converge 0 changes"
