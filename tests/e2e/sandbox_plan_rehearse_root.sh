#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): roux plan --rehearse on "/" itself. A fresh system, a policy that
# installs a package with its dependency, templates its config and restarts its service: the
# rehearsal (the real converge: apt, dpkg, maintainer scripts, init scripts, in a throwaway overlay
# of / in private namespaces) agrees with the plan line for line, and afterwards nothing changed
# (whole-system snapshot): no package installed, no daemon running.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
P=/tmp/policy; write_policy $P installed "" hi
before=$(snapshot)
out=$("$ROUX" plan --rehearse --policy $P 2>&1) || rc=$?
echo "$out"
[ "${rc:-0}" = 2 ] || fail "plan --rehearse exit ${rc:-0}, want 2"
grep -q '^rehearsal: the real converge, run in a throwaway overlay, made exactly these' <<<"$out" ||
  fail "the rehearsal does not agree with the plan"
[ "$(snapshot)" = "$before" ] || { diff <(echo "$before") <(snapshot) | head -40; fail "plan --rehearse changed the system"; }
[ -z "$(pkg_version rouxd)" ] || fail "rouxd is installed after a rehearsal"
service_running rouxd 2>/dev/null && fail "rouxd runs after a rehearsal"
echo "PASS: plan --rehearse on / agrees with the plan and changes nothing"
