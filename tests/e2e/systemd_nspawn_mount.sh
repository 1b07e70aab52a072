#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh: real systemd as PID 1): mount, and systemd's view of
# /etc/fstab. systemd-fstab-generator makes a .mount unit of each fstab line at a daemon-reload;
# after an fstab edit without one, systemd keeps the stale unit (NeedDaemonReload=yes) and acts on
# it. Two mounts in one run: a tmpfs at /mnt/x and a bind mount of /srv/data at /mnt/y.
#  - plan lists the fstab lines, ONE daemon_reload, the mounts, and changes nothing (snapshot;
#    systemd has no unit for /mnt/x afterwards);
#  - converge makes exactly those changes: findmnt shows both, systemd's units come from
#    /etc/fstab (the generator ran: FragmentPath in /run/systemd/generator), NeedDaemonReload=no,
#    and they are active and still mounted seconds later;
#  - the second converge makes 0 changes (no reload);
#  - an option change: the fstab line, one daemon_reload, a remount (plan == converge); the
#    kernel has the new size; systemd's unit has the new options and needs no reload;
#  - ensure: absent: unmounted, fstab lines gone, reloaded (systemd has no unit left from fstab);
#    plan == converge; then 0 changes.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
command -v findmnt >/dev/null || fail "no findmnt in the systemd image"
UX=$(systemd-escape -p --suffix=mount /mnt/x); UY=$(systemd-escape -p --suffix=mount /mnt/y)
[ "$UX" = mnt-x.mount ] || fail "systemd-escape: $UX"
prop() { systemctl show -p "$2" --value "$1"; }
# until SECONDS CMD...: CMD succeeds before a wall-clock deadline (systemd sees a mount made by
# hand when it reads /proc/self/mountinfo again, a moment later).
until_ok() { local end=$(( $(date +%s) + $1 )); shift; until "$@"; do [ "$(date +%s)" -lt $end ] || return 1; sleep 0.2; done; }
active() { [ "$(prop "$1" ActiveState)" = active ]; }
# fresh UNIT WHAT: systemd's unit is the generator's, from the current fstab, and needs no reload.
fresh() {
  [ "$(prop "$1" FragmentPath)" = "/run/systemd/generator/$1" ] || fail "$2: $1 is not from the current fstab (no daemon-reload?): FragmentPath=$(prop "$1" FragmentPath)"
  [ "$(prop "$1" SourcePath)" = /etc/fstab ] || fail "$2: $1 SourcePath=$(prop "$1" SourcePath)"
  [ "$(prop "$1" NeedDaemonReload)" = no ] || fail "$2: systemd says $1 needs a daemon-reload"
}
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
policy() {  # policy SIZE_OF_X | absent
  if [ "$1" = absent ]; then
    printf 'resources:\n  - mount: /mnt/x\n    ensure: absent\n  - mount: /mnt/y\n    ensure: absent\n'
  else
    printf 'resources:\n  - directory: /srv/data\n  - file: /srv/data/hello\n    content: "hi\\n"\n'
    printf '  - mount: /mnt/x\n    device: tmpfs\n    fstype: tmpfs\n    options: size=%s,mode=0755\n' "$1"
    printf '  - mount: /mnt/y\n    device: /srv/data\n    fstype: none\n    options: bind\n    requires: directory[/srv/data]\n'
  fi > $P/cookbooks/app/recipes/default.yaml
}
policy 16m
snapshot > /tmp/before
expect_rc 2 run_roux plan $P /tmp/plan.json >/dev/null
snapshot > /tmp/after
diff /tmp/before /tmp/after || fail "plan changed the host"
[ -z "$(findmnt -n /mnt/x)" ] || fail "plan mounted /mnt/x"
[ "$(prop $UX LoadState)" = not-found ] || fail "plan made systemd load $UX: $(prop $UX LoadState)"
# The plan shows the reload it cannot run, as predicted (and the mounts, whose effect it models).
[ "$(field /tmp/plan.json '[(res["id"], c.get("predicted", False)) for res in r["resources"] for c in res["changes"] if c["property"] == "daemon_reload"]')" = "[('mount[/mnt/x]', True)]" ] ||
  fail "plan's daemon_reload: $(changes /tmp/plan.json)"
expect_rc 2 run_roux converge $P /tmp/c1.json
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
for u in $UX $UY; do
  fresh $u "after converge"
  until_ok 10 active $u || fail "$u is not active: $(systemctl status $u 2>&1 | head -5)"
done
changes /tmp/c1.json | grep -v '^directory\|^file' > /tmp/got
cat > /tmp/want <<'W'
mount[/mnt/x] daemon_reload: changed: /etc/fstab -> reloaded
mount[/mnt/x] fstab: absent -> tmpfs /mnt/x tmpfs size=16m,mode=0755 0 0
mount[/mnt/x] mount point: absent -> directory
mount[/mnt/x] mounted: unmounted -> mounted
mount[/mnt/y] fstab: absent -> /srv/data /mnt/y none bind 0 0
mount[/mnt/y] mount point: absent -> directory
mount[/mnt/y] mounted: unmounted -> mounted
W
diff /tmp/want /tmp/got || fail "changes"
grep -qx $'tmpfs\t/mnt/x\ttmpfs\tsize=16m,mode=0755\t0\t0' /etc/fstab && grep -qx $'/srv/data\t/mnt/y\tnone\tbind\t0\t0' /etc/fstab || fail "fstab: $(cat /etc/fstab)"
[ "$(findmnt -n -o FSTYPE,OPTIONS /mnt/x)" = "tmpfs  rw,relatime,size=16384k,mode=755" ] || fail "findmnt /mnt/x: $(findmnt -n /mnt/x)"
[ "$(cat /mnt/y/hello)" = hi ] || fail "the bind mount does not show /srv/data"
sleep 3
[ -n "$(findmnt -n /mnt/x)" ] && [ -n "$(findmnt -n /mnt/y)" ] || fail "unmounted behind roux's back: $(findmnt /mnt/x; findmnt /mnt/y)"
active $UX && active $UY || fail "no longer active"
expect_rc 0 run_roux converge $P /tmp/c2.json >/dev/null
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge: $(changes /tmp/c2.json)"
# An option change: fstab, one reload, a remount.
policy 32m
expect_rc 2 run_roux plan $P /tmp/plan3.json >/dev/null
[ "$(findmnt -n -o OPTIONS /mnt/x)" = rw,relatime,size=16384k,mode=755 ] || fail "plan remounted"
expect_rc 2 run_roux converge $P /tmp/c3.json
diff <(changes /tmp/plan3.json) <(changes /tmp/c3.json) || fail "plan and converge differ (remount)"
cat > /tmp/want <<'W'
mount[/mnt/x] daemon_reload: changed: /etc/fstab -> reloaded
mount[/mnt/x] fstab: tmpfs /mnt/x tmpfs size=16m,mode=0755 0 0 -> tmpfs /mnt/x tmpfs size=32m,mode=0755 0 0
mount[/mnt/x] options: size=16m,mode=0755 -> size=32m,mode=0755
W
diff /tmp/want <(changes /tmp/c3.json) || fail "remount changes"
[ "$(findmnt -n -o OPTIONS /mnt/x)" = rw,relatime,size=32768k,mode=755 ] || fail "not remounted: $(findmnt -n /mnt/x)"
fresh $UX "after the remount"
[ "$(prop $UX Options)" = rw,relatime,size=32768k,mode=755 ] || fail "systemd's unit options: $(prop $UX Options)"
sleep 3
active $UX && [ "$(findmnt -n -o OPTIONS /mnt/x)" = rw,relatime,size=32768k,mode=755 ] || fail "after the remount, later: $(findmnt -n /mnt/x)"
expect_rc 0 run_roux converge $P /tmp/c4.json >/dev/null
# ensure: absent
policy absent
expect_rc 2 run_roux plan $P /tmp/plan5.json >/dev/null
[ -n "$(findmnt -n /mnt/x)" ] || fail "plan unmounted"
expect_rc 2 run_roux converge $P /tmp/c5.json
diff <(changes /tmp/plan5.json) <(changes /tmp/c5.json) || fail "plan and converge differ (absent)"
cat > /tmp/want <<'W'
mount[/mnt/x] daemon_reload: changed: /etc/fstab -> reloaded
mount[/mnt/x] fstab: tmpfs /mnt/x tmpfs size=32m,mode=0755 0 0 -> absent
mount[/mnt/x] mounted: mounted -> unmounted
mount[/mnt/y] fstab: /srv/data /mnt/y none bind 0 0 -> absent
mount[/mnt/y] mounted: mounted -> unmounted
W
diff /tmp/want <(changes /tmp/c5.json) || fail "absent changes"
[ -z "$(findmnt -n /mnt/x)" ] && [ -z "$(findmnt -n /mnt/y)" ] || fail "still mounted"
! grep -q '/mnt/[xy]' /etc/fstab || fail "fstab still has a line: $(cat /etc/fstab)"
for u in $UX $UY; do
  [ -z "$(prop $u FragmentPath)" ] || fail "systemd still has $u from the old fstab: $(prop $u FragmentPath)"
  [ "$(prop $u NeedDaemonReload)" = no ] || fail "systemd says $u needs a daemon-reload"
done
expect_rc 0 run_roux converge $P /tmp/c6.json >/dev/null
[ -z "$(changes /tmp/c6.json)" ] || fail "converge after absent: $(changes /tmp/c6.json)"
echo "PASS: mount under systemd: plan changes nothing, converge == plan, one daemon-reload per run with fstab changed, systemd's units fresh and active, remount, absent, idempotent"
