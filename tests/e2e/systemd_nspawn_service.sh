#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh: real systemd as PID 1): with the service provider chosen
# automatically (facts say init_system systemd; the no-op run asks systemctl, never the init
# script), package rouxd + its templated config notifying service[rouxd] + the service running and
# enabled converge (exit 2) to an active, enabled unit; the second converge makes 0 changes.
# Drift (systemctl stop + disable): plan exits 2 listing exactly running/enabled false -> true and
# changes nothing; converge makes exactly those changes; converge again = 0 changes. A no-op
# converge spawns one `systemctl show` for all services (process count printed, via strace).
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
active() { systemctl is-active "$1" 2>/dev/null || true; }
enabled() { systemctl is-enabled "$1" 2>/dev/null || true; }
mainpid() { systemctl show -p MainPID --value "$1"; }

[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
"$ROUX" facts --format json > /tmp/facts.json
[ "$(field /tmp/facts.json 'r["init_system"]')" = systemd ] || fail "facts: init_system is not systemd"
[ "$(active rouxd)" != active ] || fail "rouxd active before converge"

P=/tmp/policy; write_policy $P installed "" hi
expect_rc 2 run_roux converge $P /tmp/c1.json
changes /tmp/c1.json
[ "$(pkg_version rouxd)" = 1.1-1 ] || fail "rouxd not installed at 1.1-1"
[ "$(cat /etc/rouxd.conf)" = "greeting = hi" ] || fail "config not templated"
[ "$(active rouxd)" = active ] || fail "rouxd is $(active rouxd), not active"
[ "$(enabled rouxd)" = enabled ] || fail "rouxd is $(enabled rouxd), not enabled"
grep -q "pid $(mainpid rouxd) conf: greeting = hi" /var/log/rouxd.log || fail "the unit's daemon did not read the templated config"
expect_rc 0 run_roux converge $P /tmp/c2.json
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"
[ "$(field /tmp/c2.json 'r["totals"]["changed"]')" = 0 ] || fail "second converge reports changes"

# Drift.
systemctl stop rouxd; systemctl disable rouxd 2>/dev/null
[ "$(active rouxd)" = inactive ] && [ "$(enabled rouxd)" = disabled ] || fail "could not make drift"
expect_rc 2 run_roux plan $P /tmp/plan.json
changes /tmp/plan.json > /tmp/plan.changes
printf 'service[rouxd] enabled: false -> true\nservice[rouxd] running: false -> true\n' > /tmp/want.changes
diff /tmp/want.changes /tmp/plan.changes || fail "plan does not list exactly the drift"
[ "$(active rouxd)" = inactive ] && [ "$(enabled rouxd)" = disabled ] || fail "plan changed the service ($(active rouxd), $(enabled rouxd))"
[ "$(mainpid rouxd)" = 0 ] || fail "plan started a daemon"
expect_rc 2 run_roux converge $P /tmp/c3.json
changes /tmp/c3.json > /tmp/c3.changes
diff /tmp/want.changes /tmp/c3.changes || fail "converge did not make exactly the drift changes"
[ "$(active rouxd)" = active ] && [ "$(enabled rouxd)" = enabled ] || fail "converge left rouxd $(active rouxd), $(enabled rouxd)"
pid=$(mainpid rouxd)
expect_rc 0 run_roux converge $P /tmp/c4.json
[ -z "$(changes /tmp/c4.json)" ] || fail "converge after drift repair changed: $(changes /tmp/c4.json)"
[ "$(mainpid rouxd)" = "$pid" ] || fail "no-op converge restarted rouxd"

# Processes a no-op converge spawns.
rc=0; strace -f -qq -s 200 -e trace=execve -e signal=none -o /tmp/noop.trace \
  "$ROUX" converge --policy $P --report /tmp/c5.json --no-color >/dev/null 2>&1 || rc=$?
[ $rc = 0 ] || fail "traced no-op converge exited $rc"
grep -v ' = -1 ' /tmp/noop.trace | grep -o 'execve("[^"]*", \[[^]]*\]' | sed 's/^execve(//' | sed 1d > /tmp/noop.execs
echo "no-op converge spawned $(wc -l < /tmp/noop.execs) processes:"; sed 's/^/  /' /tmp/noop.execs
[ "$(grep -c '"systemctl", "show"' /tmp/noop.execs)" = 1 ] || fail "expected exactly one systemctl show"
! grep -q 'init.d' /tmp/noop.execs || fail "the systemd provider ran an init script"
strace -f -c -e trace=execve "$ROUX" converge --policy $P --report /tmp/c6.json --no-color >/dev/null 2>/tmp/noop.count || true
cat /tmp/noop.count
echo "PASS: systemd provider: install + enable + start, idempotent; drift planned exactly and repaired; no-op = 1 systemctl show"
