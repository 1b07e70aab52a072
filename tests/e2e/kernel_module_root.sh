#!/usr/bin/env bash
# kernel_module under --root: only the files (the running kernel is not the tree's; the output
# says so): /etc/modules-load.d/NAME.conf for boot, /etc/modprobe.d/roux-NAME.conf for options and
# blacklist. Plan == converge, plan changes nothing, second converge 0 changes; a module switched
# to blacklisted loses its boot file and gets the blacklist; bad input is a compile error at
# file:line:col. The live step (modprobe) is tested in sandbox_kernel_module.sh with a stub.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF'
resources:
  - kernel_module: br_netfilter
  - kernel_module: bonding
    options: {mode: "4", miimon: "100"}
  - kernel_module: dummy
    boot: false
    options: [numdummies=2]
EOF
plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json")" = "kernel_module[br_netfilter]	modules-load.d	absent	/etc/modules-load.d/br_netfilter.conf
kernel_module[bonding]	modprobe.d	absent	/etc/modprobe.d/roux-bonding.conf
kernel_module[bonding]	modules-load.d	absent	/etc/modules-load.d/bonding.conf
kernel_module[dummy]	modprobe.d	absent	/etc/modprobe.d/roux-dummy.conf" ] || fail "changes: $(json_changes "$work/c1.json")"
[ "$(cat "$root/etc/modprobe.d/roux-bonding.conf")" = "# Managed by roux: kernel_module[bonding]
options bonding miimon=100 mode=4" ] || fail "options file: $(cat "$root/etc/modprobe.d/roux-bonding.conf")"
[ "$(cat "$root/etc/modules-load.d/br_netfilter.conf")" = "# Managed by roux: kernel_module[br_netfilter]
br_netfilter" ] || fail "boot file"
[ ! -e "$root/etc/modules-load.d/dummy.conf" ] || fail "boot: false wrote a boot file"
[ "$(stat -c '%a %u:%g' "$root/etc/modules-load.d/br_netfilter.conf")" = "644 0:0" ] || fail "mode"
out0=$(json_get "$work/c1.json" 'r["resources"][0]["output"]')
[[ "$out0" == *"not loaded or unloaded under --root $root (the running kernel is not the tree's); only the files are managed"* ]] ||
  fail "no --root note: $out0"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"

write_policy "$work" app <<'EOF'
resources:
  - kernel_module: br_netfilter
    ensure: blacklisted
  - kernel_module: bonding
    ensure: unloaded
EOF
run_roux plan --policy "$work" --root "$root" --format json
printf '%s\n' "$OUT" >"$work/plan2.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "blacklist"
printf '%s\n' "$OUT" >"$work/c2.json"
diff <(json_changes "$work/plan2.json") <(json_changes "$work/c2.json") || fail "plan and converge differ (blacklist)"
[ "$(cat "$root/etc/modprobe.d/roux-br_netfilter.conf")" = "# Managed by roux: kernel_module[br_netfilter]
blacklist br_netfilter
install br_netfilter /bin/false" ] || fail "blacklist file"
[ ! -e "$root/etc/modules-load.d/br_netfilter.conf" ] || fail "blacklisted module still loads at boot"
[ ! -e "$root/etc/modules-load.d/bonding.conf" ] && [ ! -e "$root/etc/modprobe.d/roux-bonding.conf" ] ||
  fail "unloaded module kept its files"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "second converge (blacklist)"

write_policy "$work" app <<'EOF'
resources:
  - kernel_module: ../../etc/shadow
  - kernel_module: bonding
    options: [mode 4]
EOF
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad input"
grep -q 'recipes/default.yaml:2:5: kernel_module\[../../etc/shadow\]: invalid module name' <<<"$ERR" || fail "bad name: $ERR"
grep -q 'recipes/default.yaml:4:14: kernel_module\[bonding\]: options: "mode 4" is not KEY=VALUE' <<<"$ERR" || fail "bad option: $ERR"
echo "PASS: kernel_module under --root: boot/options/blacklist files; plan == converge; idempotent; bad input"
