#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh): a service whose unit does not exist (nosuchd) fails that
# resource alone with a clear error naming the unit, its dependent is skipped, while independent
# resources (the rouxd package, config and service, a file) converge; exit 6 (changes and failures).
# The other services are still read from the same single `systemctl show`.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
status() { field "$1" "[x['status'] for x in r['resources'] if x['id']=='$2'][0]"; }
P=/tmp/policy
write_policy $P installed "" hi $'  - service: nosuchd\n    running: true\n    enabled: true\n  - file: /etc/needs-nosuchd\n    content: "x\\n"\n    requires: service[nosuchd]\n  - file: /etc/independent\n    content: "y\\n"\n'
expect_rc 6 run_roux converge $P /tmp/c1.json
[ "$(status /tmp/c1.json 'service[nosuchd]')" = failed ] || fail "service[nosuchd] not failed"
err=$(field /tmp/c1.json "[x['error'] for x in r['resources'] if x['id']=='service[nosuchd]'][0]")
echo "service[nosuchd] error: $err"
echo "$err" | grep -q 'nosuchd' || fail "error does not name the unit"
echo "$err" | grep -qiE 'no service|not.found|could not be found' || fail "error unclear: $err"
[ "$(status /tmp/c1.json 'file[/etc/needs-nosuchd]')" = skipped ] || fail "dependent not skipped"
[ ! -e /etc/needs-nosuchd ] || fail "dependent applied"
[ "$(cat /etc/independent)" = y ] || fail "independent file not converged"
[ "$(pkg_version rouxd)" = 1.1-1 ] || fail "rouxd not installed"
[ "$(status /tmp/c1.json 'service[rouxd]')" != failed ] || fail "service[rouxd] failed too"
[ "$(systemctl is-active rouxd)" = active ] && [ "$(systemctl is-enabled rouxd)" = enabled ] || fail "rouxd not converged"
systemctl list-unit-files nosuchd.service 2>/dev/null | grep -q nosuchd && fail "a nosuchd unit appeared"
# Second run: the same failure alone, nothing else to do (exit 4).
expect_rc 4 run_roux converge $P /tmp/c2.json >/dev/null
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"
echo "PASS: systemd: unknown unit fails alone, exit 6; the rest converges"
