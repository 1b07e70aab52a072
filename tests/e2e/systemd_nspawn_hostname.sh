#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh: real systemd as PID 1, its own UTS namespace; the
# machine's own name is never touched): hostname web1.example.com on a booted Debian.
#  - plan lists /etc/hostname, /etc/hosts and the live name and changes nothing (snapshot; the
#    kernel's name is unchanged);
#  - converge makes exactly the planned changes; then the kernel (hostname), /etc/hostname, the
#    127.0.1.1 line of /etc/hosts and systemd (hostnamectl, through systemd-hostnamed on the bus:
#    static and transient name) agree;
#  - the second converge makes 0 changes; a name set behind roux's back by
#    `hostnamectl set-hostname` (static and transient) is set back (plan == converge again).
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
command -v hostnamectl >/dev/null || fail "no hostnamectl in the systemd image"
# systemd-hostnamed (started on the bus by hostnamectl, gone after idle) reads /etc/hostname when
# it starts; each check stops it first so that it reads the files as they are now.
sd() { systemctl stop systemd-hostnamed.service 2>/dev/null || true; hostnamectl "$@" 2>&1; }
start=$(hostname)
[ "$start" != web1.example.com ] || fail "the image already has the name"
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
printf 'resources:\n  - hostname: web1.example.com\n' > $P/cookbooks/app/recipes/default.yaml
snapshot > /tmp/before
expect_rc 2 run_roux plan $P /tmp/plan.json >/dev/null
snapshot > /tmp/after
diff /tmp/before /tmp/after || fail "plan changed the host"
[ "$(hostname)" = "$start" ] || fail "plan changed the live name: $(hostname)"
expect_rc 2 run_roux converge $P /tmp/c1.json
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
changes /tmp/c1.json | grep -q '^hostname\[web1.example.com\] file: .* -> web1.example.com$' || fail "file change: $(changes /tmp/c1.json)"
changes /tmp/c1.json | grep -q '^hostname\[web1.example.com\] hosts: .* -> 127.0.1.1 web1.example.com web1$' || fail "hosts change: $(changes /tmp/c1.json)"
changes /tmp/c1.json | grep -qx "hostname\[web1.example.com\] live: $start -> web1.example.com" || fail "live change: $(changes /tmp/c1.json)"
agree() {  # agree WHEN: every view of the name says web1.example.com
  [ "$(hostname)" = web1.example.com ] || fail "$1: hostname says $(hostname)"
  [ "$(cat /proc/sys/kernel/hostname)" = web1.example.com ] || fail "$1: kernel says $(cat /proc/sys/kernel/hostname)"
  [ "$(cat /etc/hostname)" = web1.example.com ] || fail "$1: /etc/hostname: $(cat /etc/hostname)"
  [ "$(grep '^127\.0\.1\.1' /etc/hosts | tr -s ' \t' ' ')" = "127.0.1.1 web1.example.com web1" ] || fail "$1: /etc/hosts: $(cat /etc/hosts)"
  [ "$(getent hosts web1 | tr -s ' \t' ' ')" = "127.0.1.1 web1.example.com web1" ] || fail "$1: getent hosts web1: $(getent hosts web1)"
  [ "$(sd --static)" = web1.example.com ] || fail "$1: hostnamectl --static says $(sd --static)"
  [ "$(sd --transient)" = web1.example.com ] || fail "$1: hostnamectl --transient says $(sd --transient)"
  [ "$(sd hostname)" = web1.example.com ] || fail "$1: hostnamectl hostname says $(sd hostname)"
}
agree "after converge"
expect_rc 0 run_roux converge $P /tmp/c2.json >/dev/null
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge: $(changes /tmp/c2.json)"
# Drift made by systemd's own tool: it writes /etc/hostname and the kernel's name (not /etc/hosts).
hostnamectl set-hostname drifted || fail "hostnamectl set-hostname"
[ "$(hostname)" = drifted ] && [ "$(cat /etc/hostname)" = drifted ] || fail "hostnamectl did not set the name: $(hostname) $(cat /etc/hostname)"
expect_rc 2 run_roux plan $P /tmp/plan3.json >/dev/null
expect_rc 2 run_roux converge $P /tmp/c3.json >/dev/null
diff <(changes /tmp/plan3.json) <(changes /tmp/c3.json) || fail "plan and converge differ (drift)"
cat > /tmp/want <<'W'
hostname[web1.example.com] file: drifted -> web1.example.com
hostname[web1.example.com] live: drifted -> web1.example.com
W
diff /tmp/want <(changes /tmp/c3.json) || fail "drift changes"
agree "after drift"
expect_rc 0 run_roux converge $P /tmp/c4.json >/dev/null
echo "PASS: hostname under systemd: plan changes nothing, converge == plan, kernel/etc/hostnamectl agree, idempotent, drift"
