#!/usr/bin/env bash
# Sandbox: `- monitoring_agent: monit` with an http check (a python3 http.server on 127.0.0.1 that
# the policy starts), a process check (the rouxd fixture daemon, by pidfile), a disk and a command check, expands into
# package[monit] + file[/etc/monit/conf.d/roux] + service[monit], each recording its composite.
# monit reports the checks OK (monit -t accepts the config); stopping rouxd makes monit report the failure; adding a check
# rewrites the config and restarts monit exactly once (pid changes once); then a no-op.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh

# mon_policy DIR EXTRA_CHECK_YAML
mon_policy() {
  local dir=$1 extra=${2:-}
  mkdir -p "$dir/cookbooks/mon/recipes"
  printf 'name: mon\nsources: [cookbooks]\nrun_list: [mon]\n' > "$dir/policy.yaml"
  printf 'name: mon\nversion: 1.0.0\n' > "$dir/cookbooks/mon/metadata.yaml"
  cat > "$dir/cookbooks/mon/recipes/default.yaml" <<R
resources:
  - package: rouxd
  - service: rouxd
    running: true
    enabled: true
  - directory: /srv/www
  - file: /srv/www/index.html
    content: "roux-ok\n"
  - exec: start web
    command: "setsid python3 -m http.server 8080 --bind 127.0.0.1 --directory /srv/www >/dev/null 2>&1 </dev/null & echo \$! > /run/www.pid"
    not_if: "test -f /run/www.pid && kill -0 \$(cat /run/www.pid)"
    requires: file[/srv/www/index.html]
  - monitoring_agent: monit
    interval: 2
    checks:
      - name: web
        type: http
        url: http://127.0.0.1:8080/index.html
        content: roux-ok
        timeout: 3
      - name: rouxd
        type: process
        pidfile: /run/rouxd.pid
      - name: rootfs
        type: disk
        path: /
        warning: 98
        critical: 99
      - name: truth
        type: command
        command: /bin/true
$extra
R
}

# wait_status CHECK WORD: until `monit status CHECK` shows "status WORD..." (a 60 s deadline, not a
# count of tries: each try is slower on a loaded machine).
wait_status() {
  local out deadline=$(( $(date +%s) + 60 ))
  while :; do
    out=$(monit status "$1" 2>&1 || true)
    if echo "$out" | grep -Eq "^  status +$2"; then return 0; fi
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.5
  done
  echo "$out" >&2
  fail "monit never reported $1 as $2"
}

P=/tmp/policy; mon_policy $P
expect_rc 2 run_roux converge $P /tmp/c1.json
field /tmp/c1.json '[x["id"] for x in r["resources"] if x.get("composite") == "monitoring_agent[monit]"]' > /tmp/generated
grep -q "'package\[monit\]', 'file\[/etc/monit/conf.d/roux\]', 'service\[monit\]'" /tmp/generated ||
  fail "generated resources not reported with their composite: $(cat /tmp/generated)"
monit -t >/dev/null 2>&1 || { monit -t; fail "monit rejects the generated config"; }
wait_status web OK
wait_status rouxd OK
wait_status truth "Status ok|OK"
monit status rootfs | grep -Eq '^  status +(OK|Accessible)' || fail "disk check not OK: $(monit status rootfs)"
echo "monit: web, rouxd, rootfs, truth OK"

/etc/init.d/rouxd stop >/dev/null
wait_status rouxd "Does not exist"
echo "monit: rouxd reported as not running after stop"

expect_rc 2 run_roux converge $P /tmp/c2.json >/dev/null   # brings rouxd back; monit unchanged
changes /tmp/c2.json | grep -q 'monit' && fail "monit touched without a config change: $(changes /tmp/c2.json)"
wait_status rouxd OK

pid1=$(cat /run/monit.pid)
starts1=$(grep -c 'Starting Monit' /var/log/monit.log)
mon_policy $P '      - name: webport
        type: tcp
        port: 8080'
expect_rc 2 run_roux plan $P /tmp/plan.json >/dev/null
[ "$(cat /run/monit.pid)" = "$pid1" ] || fail "plan restarted monit"
changes /tmp/plan.json > /tmp/plan.changes
expect_rc 2 run_roux converge $P /tmp/c3.json >/dev/null
changes /tmp/c3.json > /tmp/c3.changes
diff /tmp/plan.changes /tmp/c3.changes >/dev/null || fail "plan != apply: $(diff /tmp/plan.changes /tmp/c3.changes)"
grep -q '^file\[/etc/monit/conf.d/roux\] content' /tmp/c3.changes || fail "config not rewritten: $(cat /tmp/c3.changes)"
[ "$(grep -c '^service\[monit\] restart' /tmp/c3.changes)" = 1 ] || fail "expected one monit restart: $(cat /tmp/c3.changes)"
grep -q 'check host webport' /etc/monit/conf.d/roux || fail "new check missing from the config"
deadline=$(( $(date +%s) + 60 ))
until { [ -s /run/monit.pid ] && [ "$(cat /run/monit.pid)" != "$pid1" ]; } || [ "$(date +%s)" -ge "$deadline" ]; do
  sleep 0.2
done
pid2=$(cat /run/monit.pid)
[ "$pid2" != "$pid1" ] || fail "monit pid did not change ($pid1)"
starts2=$(grep -c 'Starting Monit' /var/log/monit.log)
[ $((starts2 - starts1)) = 1 ] || fail "monit started $((starts2 - starts1)) times, expected once"
wait_status webport OK

expect_rc 0 run_roux converge $P /tmp/c4.json >/dev/null
[ "$(cat /run/monit.pid)" = "$pid2" ] || fail "no-op converge restarted monit"
[ -z "$(changes /tmp/c4.json)" ] || fail "second converge changed: $(changes /tmp/c4.json)"
echo "PASS: monit composite: checks OK, failure seen, one restart on a new check ($pid1 -> $pid2), then no-op"
