#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh: its own /run, and an overlay root, so nothing here reaches the
# machine): the reboot_required fact. False on a fresh sandbox with no newer kernel; true with the
# reason when /var/run/reboot-required exists; true when /lib/modules holds a kernel newer than
# the running one; a resource with only_if_fact reboot_required converges only then.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
fact() { "$ROUX" facts --format json | python3 -c "import json,sys; f=json.load(sys.stdin); print(f['reboot_required'], f['reboot_required_reason'])"; }
rm -f /var/run/reboot-required
[ "$(ls /lib/modules 2>/dev/null | wc -l)" = 0 ] || mv /lib/modules /lib/modules.off
[ "$(fact)" = "False " ] || fail "fresh sandbox: $(fact)"
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
printf 'resources:\n  - file: /etc/reboot-due\n    content: due\n    only_if_fact: {reboot_required: true}\n' > $P/cookbooks/app/recipes/default.yaml
expect_rc 0 run_roux converge $P /tmp/c0.json
[ ! -e /etc/reboot-due ] || fail "converged without a reboot due"
touch /var/run/reboot-required
[ "$(fact)" = "True /var/run/reboot-required exists" ] || fail "flag file: $(fact)"
expect_rc 2 run_roux converge $P /tmp/c1.json
[ "$(cat /etc/reboot-due)" = due ] || fail "only_if_fact reboot_required did not hold"
rm /var/run/reboot-required
running=$(uname -r)
mkdir -p "/lib/modules/99.$running" && touch "/lib/modules/99.$running/modules.dep"
[ "$(fact)" = "True the running kernel $running is older than the newest installed, 99.$running" ] || fail "newer kernel: $(fact)"
echo "PASS: reboot_required fact: flag file, newer installed kernel, only_if_fact"
