#!/usr/bin/env bash
# Sandbox: a package that does not exist fails alone (with a clear error) and its dependent is
# skipped, while independent resources (another package in the same batch, a file) converge;
# the exit code is 6 (changes and failures).
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
P=/tmp/policy; write_policy $P installed "" hello $'  - package: roux-no-such-package\n  - file: /etc/needs-missing\n    content: "x\\n"\n    requires: package[roux-no-such-package]\n  - file: /etc/independent\n    content: "y\\n"\n'
expect_rc 6 run_roux converge $P /tmp/c1.json
[ "$(field /tmp/c1.json '[x["status"] for x in r["resources"] if x["id"]=="package[roux-no-such-package]"][0]')" = failed ] || fail "missing package not failed"
field /tmp/c1.json '[x["error"] for x in r["resources"] if x["id"]=="package[roux-no-such-package]"][0]' | grep 'not available' >/dev/null || fail "error text unclear"
[ "$(field /tmp/c1.json '[x["status"] for x in r["resources"] if x["id"]=="file[/etc/needs-missing]"][0]')" = skipped ] || fail "dependent not skipped"
[ ! -e /etc/needs-missing ] || fail "dependent applied"
[ "$(cat /etc/independent)" = y ] || fail "independent file not converged"
[ "$(pkg_version rouxd)" = 1.1-1 ] || fail "rouxd (same batch) not installed"
[ "$(pkg_version rouxtool)" = 1.0-1 ] || fail "rouxtool (same batch) not installed"
service_running rouxd || fail "service not converged"
echo "PASS: missing package fails alone, exit 6"
