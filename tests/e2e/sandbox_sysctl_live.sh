#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh; its own network namespace, so net.* parameters are its own): a
# sysctl's live value under /proc/sys is set in place, and the boot-time file written. Plan lists
# both (live: 0 -> 1) and changes neither; converge makes exactly those changes; the second
# converge makes none; a value changed behind roux's back is set again; a parameter the kernel
# does not have fails that resource alone.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
K=/proc/sys/net/ipv4/ip_forward
echo 0 > $K || fail "cannot write $K in the sandbox"
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
printf 'resources:\n  - sysctl: net.ipv4.ip_forward\n    value: 1\n' > $P/cookbooks/app/recipes/default.yaml
expect_rc 2 run_roux plan $P /tmp/plan.json
[ "$(cat $K)" = 0 ] || fail "plan set the live value"
[ ! -e /etc/sysctl.d/60-roux-net.ipv4.ip_forward.conf ] || fail "plan wrote the file"
expect_rc 2 run_roux converge $P /tmp/c1.json
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
changes /tmp/c1.json | grep -qx 'sysctl\[net.ipv4.ip_forward\] live: 0 -> 1' || fail "no live change: $(changes /tmp/c1.json)"
[ "$(cat $K)" = 1 ] || fail "live value not set"
grep -qx 'net.ipv4.ip_forward = 1' /etc/sysctl.d/60-roux-net.ipv4.ip_forward.conf || fail "file not written"
expect_rc 0 run_roux converge $P /tmp/c2.json
echo 0 > $K
expect_rc 2 run_roux converge $P /tmp/c3.json
[ "$(changes /tmp/c3.json)" = 'sysctl[net.ipv4.ip_forward] live: 0 -> 1' ] || fail "drift: $(changes /tmp/c3.json)"
printf 'resources:\n  - sysctl: net.ipv4.no_such_param\n    value: 1\n  - sysctl: net.ipv4.ip_forward\n    value: 1\n' > $P/cookbooks/app/recipes/default.yaml
expect_rc 4 run_roux converge $P /tmp/c4.json
grep -q 'the kernel has no parameter net.ipv4.no_such_param (/proc/sys/net/ipv4/no_such_param is missing)' /tmp/c4.json.txt ||
  fail "missing parameter: $(cat /tmp/c4.json.txt)"
[ ! -e /etc/sysctl.d/60-roux-net.ipv4.no_such_param.conf ] || fail "a file was written for a parameter the kernel does not have"
echo "PASS: sysctl live value in place + boot file; plan == converge; idempotent; drift; unknown parameter"
