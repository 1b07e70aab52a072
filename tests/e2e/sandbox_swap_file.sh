#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): swap_file. swapon/swapoff are global to the kernel, so this test
# NEVER activates swap on this machine: a stub swapon/swapoff first in PATH records its calls and
# edits a copy of /proc/swaps bind-mounted over the real one (the sandbox's private mount
# namespace). Real: the file (made 0600 by roux, sized by the real fallocate), the real mkswap on
# it (its signature checked), the fstab line. Plan lists the same changes as converge and changes
# nothing; the second converge changes nothing; a new size remakes the file (swapoff first);
# ensure: absent swaps off and removes the file and the line; bad size is a compile error.
# What this does not prove: that the kernel accepts the file as swap (swapon is never run).
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
STUB=/tmp/stub; LOG=/tmp/swap.log; mkdir -p $STUB; : > $LOG
cp /proc/swaps /tmp/swaps && mount --bind /tmp/swaps /proc/swaps || fail "cannot bind a copy over /proc/swaps"
cat > $STUB/swapon <<'EOF'
#!/bin/sh
echo "swapon $*" >> /tmp/swap.log
printf '%s\tfile\t%s\t0\t-2\n' "$1" "$(( $(stat -c %s "$1") / 1024 ))" >> /proc/swaps
EOF
cat > $STUB/swapoff <<'EOF'
#!/bin/sh
echo "swapoff $*" >> /tmp/swap.log
grep -v "^$1	" /proc/swaps > /tmp/swaps.new; cat /tmp/swaps.new > /proc/swaps
EOF
chmod +x $STUB/swapon $STUB/swapoff
export PATH=$STUB:$PATH
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
recipe() { printf 'resources:\n%s' "$1" > $P/cookbooks/app/recipes/default.yaml; }
printf '# fstab\nproc /proc proc defaults 0 0\n' > /etc/fstab
F=/var/swapfile

recipe "  - swap_file: $F
    size: 1M
"
expect_rc 2 run_roux plan $P /tmp/plan.json
[ ! -e $F ] || fail "plan made the file"
[ ! -s $LOG ] || fail "plan ran a command: $(cat $LOG)"
expect_rc 2 run_roux converge $P /tmp/c1.json
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
[ "$(changes /tmp/c1.json)" = "swap_file[$F] active: no -> yes
swap_file[$F] file: absent -> 1048576 bytes 0600
swap_file[$F] fstab: absent -> present" ] || fail "changes: $(changes /tmp/c1.json)"
[ "$(stat -c '%s %a %u:%g' $F)" = "1048576 600 0:0" ] || fail "file: $(stat -c '%s %a %u:%g' $F)"
[ "$(dd if=$F bs=1 skip=4086 count=10 2>/dev/null)" = SWAPSPACE2 ] || fail "mkswap did not run on the file"
[ "$(cat $LOG)" = "swapon $F" ] || fail "calls: $(cat $LOG)"
grep -qx "$F	none	swap	sw	0	0" /etc/fstab || fail "fstab: $(cat /etc/fstab)"
expect_rc 0 run_roux converge $P /tmp/c2.json
[ "$(cat $LOG)" = "swapon $F" ] || fail "second converge ran: $(cat $LOG)"

recipe "  - swap_file: $F
    size: 2M
"
: > $LOG
expect_rc 2 run_roux plan $P /tmp/plan3.json
expect_rc 2 run_roux converge $P /tmp/c3.json
diff <(changes /tmp/plan3.json) <(changes /tmp/c3.json) || fail "plan and converge differ (resize)"
[ "$(cat $LOG)" = "swapoff $F
swapon $F" ] || fail "resize calls: $(cat $LOG)"
[ "$(stat -c %s $F)" = 2097152 ] || fail "not resized"
expect_rc 0 run_roux converge $P /tmp/c4.json

recipe "  - swap_file: $F
    ensure: absent
"
: > $LOG
expect_rc 2 run_roux plan $P /tmp/plan5.json
expect_rc 2 run_roux converge $P /tmp/c5.json
diff <(changes /tmp/plan5.json) <(changes /tmp/c5.json) || fail "plan and converge differ (absent)"
[ "$(cat $LOG)" = "swapoff $F" ] || fail "absent calls: $(cat $LOG)"
[ ! -e $F ] || fail "file kept"
[ "$(cat /etc/fstab)" = "# fstab
proc /proc proc defaults 0 0" ] || fail "fstab kept the line: $(cat /etc/fstab)"
expect_rc 0 run_roux converge $P /tmp/c6.json

recipe "  - swap_file: $F
    size: 10x
"
expect_rc 1 run_roux plan $P /tmp/bad.json
grep -q 'recipes/default.yaml:3:11: swap_file\[/var/swapfile\]: size: "10x" is not a size' /tmp/bad.json.txt || fail "bad size: $(cat /tmp/bad.json.txt)"
umount /proc/swaps
echo "PASS: swap_file: file 0600 + real mkswap + fstab, stubbed swapon/swapoff; plan == converge; idempotent; resize; absent; bad size"
