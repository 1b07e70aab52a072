#!/usr/bin/env bash
# systemd sandbox (tests/sandbox/nspawn.sh): roux run as a systemd unit (systemd-run, so stderr
# is the journal) records its run in the real journald: warnings carry their priority, and the
# closing record is one entry whose fields name the run (ROUX_RUN_ID, ROUX_POLICY, ROUX_MODE,
# ROUX_EXIT_CODE, ROUX_CHANGED, ROUX_FAILED), found with `journalctl ROUX_EXIT_CODE=2`.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/nspawn.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
P=/tmp/policy; mkdir -p $P/cookbooks/app/recipes
printf 'name: jpolicy\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
printf 'resources:\n  - file: /etc/jtest\n    content: "x\\n"\n' > $P/cookbooks/app/recipes/default.yaml
rc=0
systemd-run --wait --quiet --unit roux-jtest --collect "$ROUX" converge --policy $P --config /dev/null || rc=$?
# systemd-run --wait exits with the unit's exit code.
[ "$rc" = 2 ] || { journalctl -u roux-jtest --no-pager | tail -20; fail "converge as a unit: exit $rc, want 2"; }
[ "$(cat /etc/jtest)" = x ] || fail "the unit did not converge"
journalctl --sync 2>/dev/null || true
journalctl ROUX_POLICY=jpolicy -o json --no-pager > /tmp/entries.json
python3 - /tmp/entries.json <<'PY' || fail "journal fields: $(cat /tmp/entries.json)"
import json, re, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(entries) == 1, entries
e = entries[0]
assert re.fullmatch(r"roux: run finished: run_id=\S+ policy=jpolicy mode=apply exit_code=2", e["MESSAGE"]), e
assert (e["ROUX_MODE"], e["ROUX_EXIT_CODE"], e["ROUX_CHANGED"], e["ROUX_FAILED"]) == ("apply", "2", "1", "0"), e
assert e["PRIORITY"] == "5" and e["SYSLOG_IDENTIFIER"] == "roux", e
assert "run_id=" + e["ROUX_RUN_ID"] + " " in e["MESSAGE"], e
PY
[ "$(journalctl ROUX_EXIT_CODE=2 -o cat --no-pager | grep -c 'run finished')" = 1 ] || fail "journalctl ROUX_EXIT_CODE=2 does not find the run"
# The record is the entry alone, not also a line of the unit's stderr stream.
[ "$(journalctl -u roux-jtest -o cat --no-pager | grep -c 'run finished')" -le 1 ] || fail "closing record written twice"
echo "PASS: journald: the run's closing record carries its fields"
