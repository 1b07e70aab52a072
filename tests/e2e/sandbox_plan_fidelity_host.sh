#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): issue #9's host-side plan/apply mismatches, each a named case on
# the live root of the sandbox (real apt/dpkg from /srv/repo, maintainer scripts, SysV init, shadow
# tools, crontab spool). For every case: plan changes nothing (a snapshot of the system), plan's
# changes (id, property, before, after) and statuses equal the converge's that follows, the exit
# codes agree, the host ends as the policy says (read with dpkg-query, the init script, getent,
# stat), and a second converge makes no change (exit 0). Cases (issue #9 numbering):
#   1  a held package whose pin changes, and a held package that must be removed
#   3  monitoring_agent: monit on a fresh host (the package's /etc/monit/conf.d, its postinst start)
#   5  package + service running: false, enabled: false, the package not yet installed; and a
#      package removed while its service is declared running (plan fails it, as converge does)
#   12 a package's conffile managed by a file in the same run: the diff is against the package's copy
#   13 a user deleted by hand and recreated with an automatic uid (its old uid now taken): the
#      crontab is re-owned, the home folder keeps its owner (documented in docs/accounts-and-cron.md)
#   14 a restart and a reload notified to the same service: only the restart runs
# and those hostdiff found (named below), e.g. a deleted conffile of a removed package left deleted on reinstall
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh

baseline() {
  [ -x /etc/init.d/rouxd ] && /etc/init.d/rouxd stop >/dev/null 2>&1 || true
  [ -x /etc/init.d/monit ] && /etc/init.d/monit stop >/dev/null 2>&1 || true
  apt-mark unhold rouxd librouxd rouxtool monit >/dev/null 2>&1 || true
  dpkg --purge rouxd rouxtool librouxd monit >/dev/null 2>&1 || true
  rm -rf /var/lib/roux /etc/rouxd.extra
}

# policy DIR RECIPE_YAML: a one-cookbook policy.
policy() {
  rm -rf "$1"; mkdir -p "$1/cookbooks/c/recipes"
  printf 'name: fidelity\nsources: [cookbooks]\nrun_list: [c]\n' > "$1/policy.yaml"
  printf 'name: c\nversion: 1.0.0\n' > "$1/cookbooks/c/metadata.yaml"
  printf '%s\n' "$2" > "$1/cookbooks/c/recipes/default.yaml"
}

statuses() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("\n".join(sorted(f'{x["id"]} {({"would_change": "changed"}).get(x["status"], x["status"])}' for x in r["resources"])))
PY
}

# fidelity NAME DIR WANT_RC: plan (writes nothing), converge (same changes, statuses, exit code
# WANT_RC), converge again (no change; exit 0, or 4 when the same resources fail again).
fidelity() {
  local name=$1 dir=$2 want=$3 prc=0 crc=0 rc2=0
  local before; before=$(snapshot)
  "$ROUX" plan --policy "$dir" --format json > /tmp/$name.plan.json 2>/tmp/$name.plan.err || prc=$?
  [ "$(snapshot)" = "$before" ] || { diff <(echo "$before") <(snapshot) | head -20; fail "$name: plan changed the system"; }
  "$ROUX" converge --policy "$dir" --format json > /tmp/$name.c1.json 2>/tmp/$name.c1.err || crc=$?
  changes /tmp/$name.plan.json > /tmp/$name.plan.changes
  changes /tmp/$name.c1.json > /tmp/$name.c1.changes
  echo "--- $name: plan exit $prc, converge exit $crc"; cat /tmp/$name.c1.changes
  diff /tmp/$name.plan.changes /tmp/$name.c1.changes || fail "$name: plan and converge changes differ (< plan, > converge)"
  diff <(statuses /tmp/$name.plan.json) <(statuses /tmp/$name.c1.json) || fail "$name: statuses differ"
  [ "$prc" = "$want" ] || { cat /tmp/$name.plan.err; fail "$name: plan exit $prc, want $want"; }
  [ "$crc" = "$want" ] || { cat /tmp/$name.c1.err; fail "$name: converge exit $crc, want $want"; }
  "$ROUX" converge --policy "$dir" --format json > /tmp/$name.c2.json 2>&1 || rc2=$?
  [ -z "$(changes /tmp/$name.c2.json)" ] || fail "$name: second converge changed: $(changes /tmp/$name.c2.json)"
  [ "$rc2" = $(( want & 4 )) ] || fail "$name: second converge exit $rc2, want $(( want & 4 )) (the same failures, no change)"
}
# installed_version PKG: the installed version whatever its selection (install or hold), or "".
installed_version() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^[a-z]* ok installed //p'; }
has_change() { grep -qxF "$2" "/tmp/$1.c1.changes" || fail "$1: no change line: $2"; }

# ---- case 1: a held package whose pin changes; a held package that must be removed ----
baseline
apt-get install -y -q rouxd=1.0-1 >/dev/null 2>&1 && apt-mark hold rouxd >/dev/null
policy /tmp/p1 "resources:
  - package: rouxd
    version: \"1.1-1\"
    hold: true"
fidelity case1-pin /tmp/p1 2
has_change case1-pin 'package[rouxd] ensure: 1.0-1 -> 1.1-1'
[ "$(installed_version rouxd)" = 1.1-1 ] || fail "case 1: rouxd not upgraded"
apt-mark showhold | grep -qx rouxd || fail "case 1: rouxd no longer held after the pin change"
policy /tmp/p1b "resources:
  - package: rouxd
    ensure: absent"
fidelity case1-remove /tmp/p1b 2
has_change case1-remove 'package[rouxd] ensure: 1.1-1 -> absent'
[ -z "$(installed_version rouxd)" ] || fail "case 1: held rouxd not removed"

# ---- case 5: package + service stopped/disabled, the package not installed yet ----
baseline
policy /tmp/p5 "resources:
  - package: rouxd
  - service: rouxd
    running: false
    enabled: false
    requires: package[rouxd]"
fidelity case5 /tmp/p5 2
# The postinst starts and enables it: plan knows, and lists the stop and disable converge makes.
has_change case5 'service[rouxd] running: true -> false'
has_change case5 'service[rouxd] enabled: true -> false'
service_running rouxd && fail "case 5: rouxd running"
service_enabled rouxd && fail "case 5: rouxd enabled"

# ---- case 5b (found by hostdiff seed 1007): the package is removed, its service declared running ----
# The removal takes the init script away: plan fails the service as converge does (it used to plan a start).
baseline
apt-get install -y -q rouxd >/dev/null 2>&1
policy /tmp/p5b "resources:
  - package: rouxd
    ensure: absent
  - service: rouxd
    running: true"
fidelity case5b /tmp/p5b 6
has_change case5b 'package[rouxd] ensure: 1.1-1 -> absent'
python3 - /tmp/case5b.plan.json <<'PY' || fail "case 5b: plan does not fail the service with the init system's answer"
import json, sys
r = {x["id"]: x for x in json.load(open(sys.argv[1]))["resources"]}
s = r["service[rouxd]"]
assert s["status"] == "failed" and "has no service" in s.get("error", ""), s
PY

# ---- found by hostdiff seeds 1067/1108: a service the admin disabled, its package removed and
# installed again: the postinst's update-rc.d defaults keeps the disable, invoke-rc.d does not start
# a disabled service; plan knows both (it used to predict "enabled: true -> false, running: true -> false").
baseline
apt-get install -y -q rouxd >/dev/null 2>&1
/etc/init.d/rouxd stop >/dev/null 2>&1; update-rc.d rouxd disable >/dev/null 2>&1
apt-get remove -y -q rouxd >/dev/null 2>&1
policy /tmp/pdis "resources:
  - package: rouxd
  - service: rouxd
    running: false
    enabled: false"
fidelity disabled-reinstall /tmp/pdis 2
has_change disabled-reinstall 'package[rouxd] ensure: absent -> 1.1-1'
grep -q '^service\[rouxd\]' /tmp/disabled-reinstall.c1.changes && fail "disabled-reinstall: the service changed although its disable survived the reinstall"
service_running rouxd && fail "disabled-reinstall: rouxd running"
service_enabled rouxd && fail "disabled-reinstall: rouxd enabled"

# ---- found by hostdiff seed 1071: a reload notified to a stopped service: nothing to reload ----
baseline
apt-get install -y -q rouxd >/dev/null 2>&1
/etc/init.d/rouxd stop >/dev/null 2>&1
policy /tmp/prl "resources:
  - package: rouxd
  - file: /etc/rouxd.conf
    content: \"greeting = reloaded\\n\"
    notify:
      resource: service[rouxd]
      action: reload
  - service: rouxd
    enabled: true"
fidelity reload-stopped /tmp/prl 2
grep -q '^service\[rouxd\] reload' /tmp/reload-stopped.c1.changes && fail "reload-stopped: a stopped service was reloaded"
service_running rouxd && fail "reload-stopped: the reload started rouxd"

# ---- case 12: a conffile the package ships, managed by a file in the same run ----
baseline
policy /tmp/p12 "resources:
  - package: rouxd
  - file: /etc/rouxd.conf
    content: \"greeting = managed\\n\"
    requires: package[rouxd]"
fidelity case12 /tmp/p12 2
pkg_sum=$(printf 'greeting = hello\n' | sha256sum | cut -c1-12)
grep -q "^file\[/etc/rouxd.conf\] content: sha256:$pkg_sum" /tmp/case12.plan.changes \
  || fail "case 12: plan's diff is not against the package's copy (sha256:$pkg_sum): $(grep rouxd.conf /tmp/case12.plan.changes)"
[ "$(cat /etc/rouxd.conf)" = "greeting = managed" ] || fail "case 12: conffile not managed"

# ---- found by hostdiff seed 7082: a package removed (its conffiles kept), its conffile then
# deleted by the admin, installed again with a template for that conffile: dpkg leaves the deleted
# conffile deleted (no --force-confmiss), so the template creates it; plan knows (it used to
# predict a content change of the package's copy).
baseline
apt-get install -y -q rouxd >/dev/null 2>&1 || fail "conffile-deleted: install rouxd"
apt-get remove -y -q rouxd >/dev/null 2>&1 || fail "conffile-deleted: remove rouxd"
rm -f /etc/rouxd.conf
mkdir -p /tmp/pcd
policy /tmp/pcd "resources:
  - package: rouxd
    ensure: latest
  - file: /etc/rouxd.conf
    content: \"greeting = managed\\n\"
    requires: package[rouxd]"
fidelity conffile-deleted /tmp/pcd 2
grep -q "^file\[/etc/rouxd.conf\] ensure: absent -> file" /tmp/conffile-deleted.plan.changes ||
  fail "conffile-deleted: plan does not create the file: $(cat /tmp/conffile-deleted.plan.changes)"
[ "$(cat /etc/rouxd.conf)" = "greeting = managed" ] || fail "conffile-deleted: conffile not managed"

# ---- case 14: a restart and a reload notified to the same service: only the restart ----
baseline
apt-get install -y -q rouxd >/dev/null 2>&1
policy /tmp/p14 "resources:
  - package: rouxd
  - file: /etc/rouxd.conf
    content: \"greeting = fourteen\\n\"
    notify:
      resource: service[rouxd]
      action: reload
  - file: /etc/rouxd.extra
    content: \"extra\\n\"
    notify:
      resource: service[rouxd]
      action: restart
  - service: rouxd
    running: true"
pid_before=$(cat /run/rouxd.pid)
: > /var/log/rouxd.log
fidelity case14 /tmp/p14 2
has_change case14 'service[rouxd] restart:  -> notified by file[/etc/rouxd.extra], file[/etc/rouxd.conf]'
grep -q '^service\[rouxd\] reload:' /tmp/case14.c1.changes && fail "case 14: the reload ran besides the restart"
[ "$(cat /run/rouxd.pid)" != "$pid_before" ] || fail "case 14: rouxd was not restarted"
service_running rouxd || fail "case 14: rouxd not running after the restart"
grep -q 'conf: greeting = fourteen' /var/log/rouxd.log || fail "case 14: the restarted daemon did not read the new config"

# ---- case 13: a user recreated with an automatic uid; its old uid now taken ----
baseline
userdel -r dtu13 >/dev/null 2>&1 || true; userdel -r other13 >/dev/null 2>&1 || true
policy /tmp/p13 "resources:
  - user: dtu13
    manage_home: true
  - cron: dtu13-ping
    target: crontab
    user: dtu13
    schedule: \"@hourly\"
    command: /bin/true"
"$ROUX" converge --policy /tmp/p13 >/dev/null 2>&1 || [ $? = 2 ] || fail "case 13: first converge failed"
old_uid=$(id -u dtu13)
userdel dtu13                    # by hand: the home and the crontab stay, owned by the old uid
useradd -u "$old_uid" -M other13 # and the old uid is someone else's now
fidelity case13 /tmp/p13 2
new_uid=$(id -u dtu13)
[ "$new_uid" != "$old_uid" ] || fail "case 13: dtu13 got its old uid back although it is taken"
has_change case13 "cron[dtu13-ping] crontab_mode: 0600 uid $old_uid -> 0600 uid $new_uid"
has_change case13 "user[dtu13] ensure: absent -> present (home kept as it is)"
[ "$(stat -c %u /var/spool/cron/crontabs/dtu13)" = "$new_uid" ] || fail "case 13: crontab not re-owned"
[ "$(stat -c %u /home/dtu13)" = "$old_uid" ] || fail "case 13: the existing home was re-owned (documented: kept)"
userdel -r dtu13 >/dev/null 2>&1 || true; userdel other13 >/dev/null 2>&1 || true

# ---- case 3: monitoring_agent: monit on a fresh host ----
baseline
policy /tmp/p3 "resources:
  - monitoring_agent: monit
    interval: 5
    checks:
      - name: truth
        type: command
        command: /bin/true"
fidelity case3 /tmp/p3 2
grep -q '^package\[monit\] ensure: absent -> ' /tmp/case3.c1.changes || fail "case 3: monit not installed"
grep -q '^file\[/etc/monit/conf.d/roux\] ' /tmp/case3.c1.changes || fail "case 3: monit config not written"
[ -f /etc/monit/conf.d/roux ] || fail "case 3: /etc/monit/conf.d/roux missing"
baseline
echo "PASS: issue #9 host cases 1, 3, 5, 12, 13, 14: plan == converge, exit codes agree, second converge 0"
