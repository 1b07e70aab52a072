#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh: a private mount namespace, so a tmpfs mounted here never reaches
# the real host; the script checks that from outside after the run): mount.
#  - ensure: mounted writes the fstab line (foreign lines kept) and mounts a tmpfs; plan lists
#    the same changes as converge and changes neither fstab nor the mount table; 2nd converge: 0.
#  - new options in the policy: the fstab line is updated in place and the tmpfs remounted (its
#    size seen by df changes), plan == converge.
#  - ensure: unmounted unmounts and keeps fstab; enabled writes fstab only; absent drops both.
#  - a mount that fails (unknown fstype) fails that resource alone with mount's message.
#  - bad input (relative mount point, a blank in options, device missing) is a compile error.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then
  : "${ROUX_SOURCE_DIR:?}"
  before=$(grep -c 'roux-e2e' /proc/self/mountinfo || true)
  rc=0; "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0" || rc=$?
  [ "$rc" = 0 ] || exit $rc
  after=$(grep -c 'roux-e2e' /proc/self/mountinfo || true)
  [ "$before" = "$after" ] || { echo "FAIL: the sandbox's mount reached the host's mount table" >&2; exit 1; }
  exit 0
fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
M=/mnt/roux-e2e
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
recipe() { printf 'resources:\n%s' "$1" > $P/cookbooks/app/recipes/default.yaml; }
mounted() { findmnt -n -o TARGET "$M" >/dev/null 2>&1; }
printf '# /etc/fstab: static file system information.\nproc /proc proc defaults 0 0\n' > /etc/fstab
fstab0=$(cat /etc/fstab)

recipe "  - mount: $M
    device: tmpfs
    fstype: tmpfs
    options: [size=8m, mode=0755]
"
expect_rc 2 run_roux plan $P /tmp/plan.json
[ "$(cat /etc/fstab)" = "$fstab0" ] || fail "plan changed fstab"
! mounted || fail "plan mounted"
[ ! -e $M ] || fail "plan made the mount point"
expect_rc 2 run_roux converge $P /tmp/c1.json
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
[ "$(changes /tmp/c1.json)" = "mount[$M] fstab: absent -> tmpfs $M tmpfs size=8m,mode=0755 0 0
mount[$M] mount point: absent -> directory
mount[$M] mounted: unmounted -> mounted" ] || fail "changes: $(changes /tmp/c1.json)"
[ "$(cat /etc/fstab)" = "$fstab0
tmpfs	$M	tmpfs	size=8m,mode=0755	0	0" ] || fail "fstab: $(cat /etc/fstab)"
mounted || fail "not mounted"
[ "$(findmnt -n -o FSTYPE,SIZE $M | tr -s ' ')" = "tmpfs 8M" ] || fail "mount: $(findmnt -n -o FSTYPE,SIZE $M)"
expect_rc 0 run_roux converge $P /tmp/c2.json

# New options: fstab updated in place, remounted.
recipe "  - mount: $M
    device: tmpfs
    fstype: tmpfs
    options: size=16m,mode=0755
"
expect_rc 2 run_roux plan $P /tmp/plan3.json
[ "$(findmnt -n -o SIZE $M | tr -d " ")" = 8M ] || fail "plan remounted"
expect_rc 2 run_roux converge $P /tmp/c3.json
diff <(changes /tmp/plan3.json) <(changes /tmp/c3.json) || fail "plan and converge differ (remount)"
[ "$(changes /tmp/c3.json)" = "mount[$M] fstab: tmpfs $M tmpfs size=8m,mode=0755 0 0 -> tmpfs $M tmpfs size=16m,mode=0755 0 0
mount[$M] options: size=8m,mode=0755 -> size=16m,mode=0755" ] || fail "remount changes: $(changes /tmp/c3.json)"
[ "$(findmnt -n -o SIZE $M | tr -d " ")" = 16M ] || fail "not remounted: $(findmnt -n -o SIZE $M | tr -d " ")"
expect_rc 0 run_roux converge $P /tmp/c4.json

# unmounted: fstab kept, unmounted.
recipe "  - mount: $M
    device: tmpfs
    fstype: tmpfs
    options: size=16m,mode=0755
    ensure: unmounted
"
expect_rc 2 run_roux plan $P /tmp/plan5.json
mounted || fail "plan unmounted"
expect_rc 2 run_roux converge $P /tmp/c5.json
diff <(changes /tmp/plan5.json) <(changes /tmp/c5.json) || fail "plan and converge differ (unmounted)"
[ "$(changes /tmp/c5.json)" = "mount[$M] mounted: mounted -> unmounted" ] || fail "unmounted: $(changes /tmp/c5.json)"
! mounted || fail "still mounted"
grep -q "^tmpfs	$M	" /etc/fstab || fail "fstab line lost"
expect_rc 0 run_roux converge $P /tmp/c6.json

# enabled: fstab only (the state is left alone: mount it by hand, roux leaves it).
mount -t tmpfs -o size=4m tmpfs $M
recipe "  - mount: $M
    device: tmpfs
    fstype: tmpfs
    options: size=32m
    ensure: enabled
"
expect_rc 2 run_roux converge $P /tmp/c7.json
[ "$(changes /tmp/c7.json)" = "mount[$M] fstab: tmpfs $M tmpfs size=16m,mode=0755 0 0 -> tmpfs $M tmpfs size=32m 0 0" ] ||
  fail "enabled: $(changes /tmp/c7.json)"
[ "$(findmnt -n -o SIZE $M | tr -d " ")" = 4M ] || fail "enabled touched the mount"

# absent: unmounted and out of fstab; foreign lines kept.
recipe "  - mount: $M
    ensure: absent
"
expect_rc 2 run_roux plan $P /tmp/plan8.json
expect_rc 2 run_roux converge $P /tmp/c8.json
diff <(changes /tmp/plan8.json) <(changes /tmp/c8.json) || fail "plan and converge differ (absent)"
! mounted || fail "absent left it mounted"
[ "$(cat /etc/fstab)" = "$fstab0" ] || fail "absent: fstab $(cat /etc/fstab)"
expect_rc 0 run_roux converge $P /tmp/c9.json

# A mount that fails fails its resource alone.
recipe "  - mount: /mnt/roux-bad
    device: nothing
    fstype: nosuchfs
  - file: /tmp/after-mount
    content: ok
"
expect_rc 6 run_roux converge $P /tmp/c10.json
grep -q 'mount -t nosuchfs -o defaults nothing /mnt/roux-bad failed (exit 32)' /tmp/c10.json.txt || fail "failed mount: $(cat /tmp/c10.json.txt)"
[ "$(cat /tmp/after-mount)" = ok ] || fail "the other resource did not converge"

# Bad input at compile time.
recipe "  - mount: mnt/x
    device: tmpfs
    fstype: tmpfs
  - mount: /mnt/y
    device: tmpfs
    fstype: tmpfs
    options: 'size=1m, mode=0755'
  - mount: /mnt/z
    fstype: tmpfs
"
expect_rc 1 run_roux plan $P /tmp/bad.json
out=$(cat /tmp/bad.json.txt)
grep -q 'recipes/default.yaml:2:5: mount\[mnt/x\]: .*(the name is the mount point)' <<<"$out" || fail "relative: $out"
grep -q 'recipes/default.yaml:8:14: mount\[/mnt/y\]: options: must be mount options without blanks' <<<"$out" || fail "options: $out"
grep -q 'recipes/default.yaml:9:5: mount\[/mnt/z\]: device: is required' <<<"$out" || fail "device: $out"
echo "PASS: mount: fstab + mounted; plan == converge; remount on new options; unmounted; enabled; absent; failure alone; bad input"
