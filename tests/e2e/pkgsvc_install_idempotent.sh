#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): a package with its dependency, its templated config, its service
# started and enabled. plan on the fresh system lists the whole apt transaction (librouxd as a
# dependency, versions absent -> x) and changes nothing; converge makes exactly the planned changes
# for packages, the config and the notified restart; the second converge makes 0 changes and
# exits 0. (plan also predicts "running/enabled false -> true" for the service its package would
# bring; on apply the package's postinst already starts and enables it, so converge reports
# fewer service changes - the one place plan cannot know better than "what roux would do".)
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
grep -qx 'service\[rouxd\] running: false -> true' /tmp/plan.changes || fail "plan lacks service start"
grep -qx 'service\[rouxd\] enabled: false -> true' /tmp/plan.changes || fail "plan lacks service enable"

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
# (The template's plan says "absent -> file": plan cannot know the package ships /etc/rouxd.conf;
# converge then reports the content change against the packaged file.)
grep -q '^template\[/etc/rouxd.conf\] content:' /tmp/c1.changes || fail "template change not reported"
grep -qx 'service\[rouxd\] restart:  -> notified by template\[/etc/rouxd.conf\]' /tmp/c1.changes || fail "no notified restart"

expect_rc 0 run_roux converge $P /tmp/c2.json
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"
[ "$(field /tmp/c2.json 'r["totals"]["changed"]')" = 0 ] || fail "second converge reports changes"
echo "PASS: install + dependency + config + service; second converge 0 changes"
