#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh: real systemd as PID 1): systemd_unit.
#  - a new unit app.service (enabled, running) and a drop-in for it: plan (exit 2) lists the two
#    files, ONE daemon_reload, enabled/running false -> true and the notified restart, and changes nothing (systemd does
#    not know app.service afterwards); converge makes exactly those changes, running exactly one
#    `systemctl daemon-reload` (strace), and the unit runs with the drop-in's environment (the
#    drop-in's notification restarts it at the end of that run, as it does a service);
#  - a second converge makes 0 changes and runs no daemon-reload;
#  - a drop-in change notifying systemd_unit[app.service]: plan == converge (content, daemon_reload,
#    restart); the restarted daemon has the new environment and systemd needs no reload;
#  - a unit whose command does not exist: systemd-analyze verify's message fails that resource,
#    the file is not installed;
#  - ensure: absent: stopped, disabled, files removed, reloaded (plan == converge); then 0 changes.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
command -v systemd-analyze >/dev/null || fail "no systemd-analyze in the systemd image"
policy() {  # policy RESOURCES_YAML
  mkdir -p /tmp/p/cookbooks/units/recipes
  printf 'name: units\nsources:\n  - cookbooks\nrun_list:\n  - units\n' > /tmp/p/policy.yaml
  printf 'name: units\nversion: 1.0.0\n' > /tmp/p/cookbooks/units/metadata.yaml
  printf 'resources:\n%s' "$1" > /tmp/p/cookbooks/units/recipes/default.yaml
}
units() {  # units GREETING
  policy "  - systemd_unit: app.service
    content: |
      [Unit]
      Description=roux e2e app
      [Service]
      ExecStart=/bin/sh -c 'echo \"\$\$GREETING\" > /run/app.greeting; exec sleep 100000'
      [Install]
      WantedBy=multi-user.target
    enabled: true
    running: true
  - systemd_unit: app.service.d/10-env.conf
    content: |
      [Service]
      Environment=GREETING=$1
    notify: systemd_unit[app.service]
"
}
reloads() { grep -v ' = -1 ' "$1" | grep -c '\["systemctl", "daemon-reload"\]' || true; }

units hi
snap=$(snapshot)
expect_rc 2 run_roux plan /tmp/p /tmp/plan1.json
changes /tmp/plan1.json > /tmp/plan1.changes
cat > /tmp/want1 <<'W'
systemd_unit[app.service.d/10-env.conf] content: absent -> sha256:
systemd_unit[app.service] content: absent -> sha256:
systemd_unit[app.service] daemon_reload: changed: app.service -> reloaded
systemd_unit[app.service] enabled: false -> true
systemd_unit[app.service] restart:  -> notified by systemd_unit[app.service.d/10-env.conf]
systemd_unit[app.service] running: false -> true
W
diff /tmp/want1 <(sed 's/sha256:.*/sha256:/' /tmp/plan1.changes) || fail "plan does not list the unit, the drop-in, one reload and the state"
after=$(snapshot); [ "$snap" = "$after" ] || { diff <(echo "$snap") <(echo "$after") >&2; fail "plan changed the host"; }
[ "$(systemctl show -p LoadState --value app.service)" = not-found ] || fail "plan made app.service known to systemd"

strace -f -qq -s 200 -e trace=execve -e signal=none -o /tmp/c1.trace \
  "$ROUX" converge --policy /tmp/p --report /tmp/c1.json --no-color > /tmp/c1.txt 2>&1 || rc=$?
[ "${rc:-0}" = 2 ] || { cat /tmp/c1.txt; fail "converge exited ${rc:-0}, want 2"; }
changes /tmp/c1.json > /tmp/c1.changes
diff /tmp/plan1.changes /tmp/c1.changes || fail "converge differs from plan"
[ "$(reloads /tmp/c1.trace)" = 1 ] || fail "converge ran $(reloads /tmp/c1.trace) daemon-reloads, want 1"
[ "$(systemctl is-active app)" = active ] || fail "app is $(systemctl is-active app)"
[ "$(systemctl is-enabled app)" = enabled ] || fail "app is $(systemctl is-enabled app)"
wait_for() { for _ in $(seq 50); do [ "$(cat /run/app.greeting 2>/dev/null)" = "$1" ] && return 0; sleep 0.1; done; return 1; }
wait_for hi || fail "the daemon did not get the drop-in's environment: $(cat /run/app.greeting 2>/dev/null)"

strace -f -qq -s 200 -e trace=execve -e signal=none -o /tmp/c2.trace \
  "$ROUX" converge --policy /tmp/p --report /tmp/c2.json --no-color > /tmp/c2.txt 2>&1 || fail "second converge failed: $(cat /tmp/c2.txt)"
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"
[ "$(reloads /tmp/c2.trace)" = 0 ] || fail "a no-op converge ran daemon-reload"

# A drop-in change restarts the unit through its notification, after the one reload.
pid=$(systemctl show -p MainPID --value app)
units bye
expect_rc 2 run_roux plan /tmp/p /tmp/plan3.json
expect_rc 2 run_roux converge /tmp/p /tmp/c3.json
changes /tmp/plan3.json > /tmp/plan3.changes
changes /tmp/c3.json > /tmp/c3.changes
diff /tmp/plan3.changes /tmp/c3.changes || fail "converge of the drop-in change differs from plan"
cat > /tmp/want3 <<'W'
systemd_unit[app.service.d/10-env.conf] content: sha256:
systemd_unit[app.service.d/10-env.conf] daemon_reload: changed: app.service -> reloaded
systemd_unit[app.service] restart:  -> notified by systemd_unit[app.service.d/10-env.conf]
W
diff /tmp/want3 <(sed 's/sha256:.*/sha256:/' /tmp/c3.changes) || fail "drop-in change: $(cat /tmp/c3.changes)"
[ "$(systemctl show -p MainPID --value app)" != "$pid" ] || fail "app was not restarted"
[ "$(systemctl show -p NeedDaemonReload --value app)" = no ] || fail "systemd still needs a daemon-reload"
wait_for bye || fail "the restarted daemon has the old environment: $(cat /run/app.greeting)"
expect_rc 0 run_roux converge /tmp/p /tmp/c4.json

# systemd refuses a unit: its message, no file.
policy "  - systemd_unit: bad.service
    content: |
      [Service]
      ExecStart=/nonexistent/roux-app
"
expect_rc 4 run_roux converge /tmp/p /tmp/c5.json
err=$(field /tmp/c5.json "[x['error'] for x in r['resources'] if x['id']=='systemd_unit[bad.service]'][0]")
case "$err" in
  "systemd-analyze verify refused bad.service (the unit was not installed): "*"Command /nonexistent/roux-app is not executable"*) ;;
  *) fail "verify error: $err" ;;
esac
[ ! -e /etc/systemd/system/bad.service ] || fail "a refused unit was installed"

# ensure: absent.
policy "  - systemd_unit: app.service
    ensure: absent
  - systemd_unit: app.service.d/10-env.conf
    ensure: absent
"
expect_rc 2 run_roux plan /tmp/p /tmp/plan6.json
[ "$(systemctl is-active app)" = active ] || fail "plan stopped app"
expect_rc 2 run_roux converge /tmp/p /tmp/c6.json
changes /tmp/plan6.json > /tmp/plan6.changes
changes /tmp/c6.json > /tmp/c6.changes
diff /tmp/plan6.changes /tmp/c6.changes || fail "converge of absent differs from plan"
cat > /tmp/want6 <<'W'
systemd_unit[app.service.d/10-env.conf] ensure: present -> absent
systemd_unit[app.service] daemon_reload: changed: app.service -> reloaded
systemd_unit[app.service] enabled: true -> false
systemd_unit[app.service] ensure: present -> absent
systemd_unit[app.service] running: true -> false
W
diff /tmp/want6 /tmp/c6.changes || fail "absent: $(cat /tmp/c6.changes)"
[ "$(systemctl show -p LoadState --value app.service)" = not-found ] || fail "systemd still knows app.service"
[ ! -e /etc/systemd/system/app.service ] && [ ! -e /etc/systemd/system/app.service.d/10-env.conf ] || fail "files left"
expect_rc 0 run_roux converge /tmp/p /tmp/c7.json
echo "PASS: systemd_unit with systemd: new unit + drop-in planned exactly, one daemon-reload, running with the drop-in; idempotent; drop-in change restarts; verify refusal; absent"
