#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): the live step of kernel_module. Loading a module is global to
# the kernel, so this test NEVER loads or unloads a real module on this machine:
#  1. a module the kernel already has (the first folder of the real /sys/module) is a no-op live:
#     only its boot file is written, and modprobe is never called (a recording stub is first in
#     PATH to prove it);
#  2. a made-up module against a tmpfs mounted over /sys/module (the sandbox's private mount
#     namespace): the stub modprobe records its calls and makes/removes /sys/module/NAME as the
#     kernel would. Plan lists the load and calls nothing; converge calls `modprobe NAME` once;
#     the second converge calls nothing; ensure: unloaded calls `modprobe -r NAME`; a modprobe that
#     fails fails the resource with its message.
# What this does not prove: that the real modprobe loads a real module (it is never run here).
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
STUB=/tmp/stub; LOG=/tmp/modprobe.log; mkdir -p $STUB; : > $LOG
cat > $STUB/modprobe <<'EOF'
#!/bin/sh
echo "modprobe $*" >> /tmp/modprobe.log
if [ "$1" = -r ]; then rm -rf "/sys/module/$2"; exit 0; fi
case "$1" in roux_e2e_broken) echo "modprobe: FATAL: Module $1 not found" >&2; exit 1;; esac
mkdir -p "/sys/module/$1" && echo live > "/sys/module/$1/initstate"
EOF
chmod +x $STUB/modprobe
export PATH=$STUB:$PATH
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
recipe() { printf 'resources:\n%s' "$1" > $P/cookbooks/app/recipes/default.yaml; }

# 1. A module the kernel has: files only, no modprobe.
have=$(ls /sys/module | head -1)
[ -n "$have" ] || fail "no /sys/module entries to test against"
recipe "  - kernel_module: $have
"
expect_rc 2 run_roux converge $P /tmp/c0.json
[ "$(changes /tmp/c0.json)" = "kernel_module[$have] modules-load.d: absent -> /etc/modules-load.d/$have.conf" ] ||
  fail "loaded module: $(changes /tmp/c0.json)"
[ ! -s $LOG ] || fail "modprobe called for a loaded module: $(cat $LOG)"

# 2. A made-up module, against a private /sys/module.
mount -t tmpfs tmpfs /sys/module
recipe "  - kernel_module: roux_e2e_dummy
    options: {numdummies: \"2\"}
"
expect_rc 2 run_roux plan $P /tmp/plan.json
[ ! -s $LOG ] || fail "plan ran modprobe: $(cat $LOG)"
[ ! -e /etc/modprobe.d/roux-roux_e2e_dummy.conf ] || fail "plan wrote a file"
expect_rc 2 run_roux converge $P /tmp/c1.json
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
[ "$(changes /tmp/c1.json)" = "kernel_module[roux_e2e_dummy] loaded: no -> yes
kernel_module[roux_e2e_dummy] modprobe.d: absent -> /etc/modprobe.d/roux-roux_e2e_dummy.conf
kernel_module[roux_e2e_dummy] modules-load.d: absent -> /etc/modules-load.d/roux_e2e_dummy.conf" ] ||
  fail "changes: $(changes /tmp/c1.json)"
[ "$(cat $LOG)" = "modprobe roux_e2e_dummy" ] || fail "modprobe calls: $(cat $LOG)"
expect_rc 0 run_roux converge $P /tmp/c2.json
[ "$(cat $LOG)" = "modprobe roux_e2e_dummy" ] || fail "second converge called modprobe: $(cat $LOG)"

recipe "  - kernel_module: roux_e2e_dummy
    ensure: unloaded
"
: > $LOG
expect_rc 2 run_roux plan $P /tmp/plan3.json
expect_rc 2 run_roux converge $P /tmp/c3.json
diff <(changes /tmp/plan3.json) <(changes /tmp/c3.json) || fail "plan and converge differ (unload)"
[ "$(cat $LOG)" = "modprobe -r roux_e2e_dummy" ] || fail "unload calls: $(cat $LOG)"
[ ! -e /sys/module/roux_e2e_dummy ] || fail "not unloaded"
expect_rc 0 run_roux converge $P /tmp/c4.json

recipe "  - kernel_module: roux_e2e_broken
    boot: false
"
expect_rc 4 run_roux converge $P /tmp/c5.json
grep -q 'modprobe roux_e2e_broken failed (exit 1): modprobe: FATAL: Module roux_e2e_broken not found' /tmp/c5.json.txt ||
  fail "failed modprobe: $(cat /tmp/c5.json.txt)"
umount /sys/module
echo "PASS: kernel_module live step: loaded module no-op (no modprobe); stubbed load/unload; plan == converge; idempotent; failure"
