#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh: real systemd as PID 1; the machine's own zone is never
# touched): timezone Europe/Paris on a booted Debian whose zone is Etc/UTC.
#  - plan lists /etc/localtime and /etc/timezone and changes neither (systemd still says Etc/UTC);
#  - converge makes exactly the planned changes; then systemd (timedatectl, through
#    systemd-timedated on the bus), the C library (date +%Z) and Debian's /etc/timezone agree on
#    Europe/Paris;
#  - the second converge makes 0 changes; a zone set behind roux's back (timedatectl set-timezone)
#    is drift set back alone (plan == converge again); the same zone set by timedatectl (a link
#    relative to /etc) is no change.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
# systemd-timedated (started on the bus by timedatectl, gone after 30 s idle) reads the zone when it
# starts and keeps it: a zone changed behind it shows after its restart. So each check stops it
# first (the next call starts it again), to ask what systemd reads from the files now.
tz_systemd() { systemctl stop systemd-timedated.service 2>/dev/null || true; timedatectl show -p Timezone --value 2>&1; }
[ "$(tz_systemd)" = Etc/UTC ] || fail "the image's zone is not Etc/UTC: $(tz_systemd)"
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
printf 'resources:\n  - timezone: Europe/Paris\n' > $P/cookbooks/app/recipes/default.yaml
before=$(stat -c '%N %Y' /etc/localtime; md5sum /etc/timezone; stat -c %Y /etc/timezone)
expect_rc 2 run_roux plan $P /tmp/plan.json >/dev/null
[ "$(stat -c '%N %Y' /etc/localtime; md5sum /etc/timezone; stat -c %Y /etc/timezone)" = "$before" ] || fail "plan changed a file"
[ "$(tz_systemd)" = Etc/UTC ] || fail "plan changed the zone: $(tz_systemd)"
expect_rc 2 run_roux converge $P /tmp/c1.json >/dev/null
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
cat > /tmp/want <<'W'
timezone[Europe/Paris] localtime: /usr/share/zoneinfo/Etc/UTC -> /usr/share/zoneinfo/Europe/Paris
timezone[Europe/Paris] timezone_file: Etc/UTC -> Europe/Paris
W
diff /tmp/want <(changes /tmp/c1.json) || fail "changes"
[ "$(readlink /etc/localtime)" = /usr/share/zoneinfo/Europe/Paris ] || fail "localtime: $(readlink /etc/localtime)"
[ "$(cat /etc/timezone)" = Europe/Paris ] || fail "/etc/timezone: $(cat /etc/timezone)"
[ "$(tz_systemd)" = Europe/Paris ] || fail "timedatectl says $(tz_systemd)"
case "$(date +%Z)" in CET|CEST) ;; *) fail "date +%Z says $(date +%Z)" ;; esac
[ "$(env -u TZ date -d '2026-01-15 12:00 UTC' +%H)" = 13 ] || fail "noon UTC in January is not 13:00 in Paris: $(date -d '2026-01-15 12:00 UTC' +%H)"
expect_rc 0 run_roux converge $P /tmp/c2.json >/dev/null
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge: $(changes /tmp/c2.json)"
# Drift made by systemd's own tool: timedatectl rewrites the link, not /etc/timezone.
timedatectl set-timezone America/New_York || fail "timedatectl set-timezone"
expect_rc 2 run_roux plan $P /tmp/plan3.json >/dev/null
expect_rc 2 run_roux converge $P /tmp/c3.json >/dev/null
diff <(changes /tmp/plan3.json) <(changes /tmp/c3.json) || fail "plan and converge differ (drift)"
changes /tmp/c3.json | grep -qx 'timezone\[Europe/Paris\] localtime: ../usr/share/zoneinfo/America/New_York -> /usr/share/zoneinfo/Europe/Paris' ||
  fail "drift: $(changes /tmp/c3.json)"
[ "$(tz_systemd)" = Europe/Paris ] || fail "after drift timedatectl says $(tz_systemd)"
expect_rc 0 run_roux converge $P /tmp/c4.json >/dev/null
# The same zone set by timedatectl (its relative link) is no drift.
timedatectl set-timezone America/New_York && timedatectl set-timezone Europe/Paris || fail "timedatectl set-timezone"
[ "$(readlink /etc/localtime)" = ../usr/share/zoneinfo/Europe/Paris ] || fail "timedatectl's link: $(readlink /etc/localtime)"
expect_rc 0 run_roux converge $P /tmp/c5.json >/dev/null
echo "PASS: timezone under systemd: plan changes nothing, converge == plan, timedatectl/date/etc agree, idempotent, drift"
