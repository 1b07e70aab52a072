#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh): units that are not plain native ones.
#  - an init script without a native unit (systemd-sysv-generator, UnitFileState "generated"):
#    enabled is read through `systemctl is-enabled` (systemd-sysv-install), so running+enabled
#    converge once and then make 0 changes; enabled: false disables it, then 0 changes;
#  - a static unit (dbus.service, no [Install]): enabled: true is already true (0 changes);
#    enabled: false fails that resource with a clear "static" error, in plan as in converge;
#  - a name systemctl rejects ("getty@": template without instance) fails that resource alone with
#    systemctl's own message; the other services are still read and converge.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
status() { field "$1" "[x['status'] for x in r['resources'] if x['id']=='$2'][0]"; }
error() { field "$1" "[x['error'] for x in r['resources'] if x['id']=='$2'][0]"; }
policy() {  # policy RESOURCES_YAML
  mkdir -p /tmp/p/cookbooks/kinds/recipes
  printf 'name: kinds\nsources:\n  - cookbooks\nrun_list:\n  - kinds\n' > /tmp/p/policy.yaml
  printf 'name: kinds\nversion: 1.0.0\n' > /tmp/p/cookbooks/kinds/metadata.yaml
  printf 'resources:\n%s' "$1" > /tmp/p/cookbooks/kinds/recipes/default.yaml
}
# A SysV-only daemon: rouxd's init script renamed, no unit file.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q rouxd >/dev/null
sed 's/rouxd/rouxsv/g' /etc/init.d/rouxd > /etc/init.d/rouxsv; chmod 755 /etc/init.d/rouxsv
systemctl daemon-reload
[ "$(systemctl show -p UnitFileState --value rouxsv)" = generated ] || fail "rouxsv is not a generated unit"
[ "$(systemctl show -p UnitFileState --value dbus)" = static ] || fail "dbus.service is not static"

svc=$'  - service: rouxsv\n    running: true\n    enabled: true\n  - service: dbus\n    running: true\n    enabled: true\n'
policy "$svc"
expect_rc 2 run_roux converge /tmp/p /tmp/c1.json
printf 'service[rouxsv] enabled: false -> true\nservice[rouxsv] running: false -> true\n' > /tmp/want
diff /tmp/want <(changes /tmp/c1.json) || fail "first converge: unexpected changes"
systemctl is-enabled rouxsv >/dev/null 2>&1 || fail "rouxsv not enabled"
[ "$(systemctl is-active rouxsv)" = active ] || fail "rouxsv not active"
expect_rc 0 run_roux converge /tmp/p /tmp/c2.json
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"

policy $'  - service: rouxsv\n    enabled: false\n'
expect_rc 2 run_roux converge /tmp/p /tmp/c3.json
diff <(echo 'service[rouxsv] enabled: true -> false') <(changes /tmp/c3.json) || fail "disable: unexpected changes"
! systemctl is-enabled rouxsv >/dev/null 2>&1 || fail "rouxsv still enabled"
expect_rc 0 run_roux converge /tmp/p /tmp/c4.json

policy $'  - service: dbus\n    enabled: false\n  - service: cron\n    running: true\n    enabled: true\n'
# plan fails it exactly as converge does (plan == apply), with the same message.
expect_rc 4 run_roux plan /tmp/p /tmp/p5.json
error /tmp/p5.json 'service[dbus]' | grep -q 'dbus.service is static' || fail "plan does not predict the static error: $(error /tmp/p5.json 'service[dbus]')"
expect_rc 4 run_roux converge /tmp/p /tmp/c5.json
error /tmp/c5.json 'service[dbus]' | grep -q 'dbus.service is static' || fail "static error unclear: $(error /tmp/c5.json 'service[dbus]')"
[ "$(status /tmp/c5.json 'service[cron]')" != failed ] || fail "cron failed too"

policy "$svc"$'  - service: "getty@"\n    running: true\n  - file: /etc/independent\n    content: "y\\n"\n'
systemctl stop rouxsv
expect_rc 6 run_roux converge /tmp/p /tmp/c6.json
error /tmp/c6.json 'service[getty@]' | grep -q 'neither a valid invocation ID nor unit name' || fail "error lacks systemctl's message: $(error /tmp/c6.json 'service[getty@]')"
[ "$(status /tmp/c6.json 'service[rouxsv]')" != failed ] && [ "$(status /tmp/c6.json 'service[dbus]')" != failed ] || fail "a valid service failed with the bad one"
[ "$(systemctl is-active rouxsv)" = active ] || fail "rouxsv not restarted next to the bad name"
[ "$(cat /etc/independent)" = y ] || fail "independent file not converged"
echo "PASS: systemd: SysV-only unit idempotent both ways, static unit, a rejected name fails alone"
