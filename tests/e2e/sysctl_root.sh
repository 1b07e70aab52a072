#!/usr/bin/env bash
# sysctl under --root: the boot-time file /etc/sysctl.d/60-roux-KEY.conf is written (plan ==
# converge, plan changes nothing, second converge 0 changes); the live value is left alone and the
# resource says why; ensure: absent removes the file; a bad key is a compile error at file:line:col.
# The live value (/proc/sys, written in place) is tested in sandbox_sysctl_live.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF2'
resources:
  - sysctl: net.ipv4.ip_forward
    value: 1
  - sysctl: net.ipv4.tcp_rmem
    value: "4096   87380 6291456"
EOF2
plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json" | cut -f1,2)" = "sysctl[net.ipv4.ip_forward]	file
sysctl[net.ipv4.tcp_rmem]	file" ] || fail "changes: $(json_changes "$work/c1.json")"
[ "$(cat "$root/etc/sysctl.d/60-roux-net.ipv4.tcp_rmem.conf")" = "# Managed by roux: sysctl[net.ipv4.tcp_rmem]
net.ipv4.tcp_rmem = 4096 87380 6291456" ] || fail "file content"
out0=$(json_get "$work/c1.json" 'r["resources"][0]["output"]')
[[ "$out0" == *"the live value is not set under --root $root (it belongs to the running kernel)"* ]] ||
  fail "no explanation for the live value: $(json_get "$work/c1.json" 'r["resources"][0]')"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
write_policy "$work" app <<'EOF2'
resources:
  - sysctl: net.ipv4.ip_forward
    ensure: absent
  - sysctl: net.ipv4.tcp_rmem
    value: "4096 87380 6291456"
EOF2
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "absent"
[ ! -e "$root/etc/sysctl.d/60-roux-net.ipv4.ip_forward.conf" ] || fail "file not removed"
write_policy "$work" app <<'EOF2'
resources:
  - sysctl: ../../etc/passwd
    value: 1
EOF2
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad key"
echo "$ERR" | grep -q 'recipes/default.yaml:2:5: sysctl\[../../etc/passwd\]: invalid sysctl key' || fail "bad key: $ERR"
echo "PASS: sysctl under --root: file only, said so; idempotent; absent; bad key"
