#!/usr/bin/env bash
# A targeted run is a run like any other (issue #14, 5: "exit codes, lock, report and handlers as
# for a full run"): a held run lock refuses it (exit 1, nothing changed); a failure inside the
# selection exits 4 (6 with changes), one outside it does not count; the client config's handlers
# get the partial report (json_file: the selection and only the selected resources); the history
# and last_run.json record it; a plan --only exits 2 when its selection would change.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc" "$root/srv"
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/web.conf
    content: "w\n"
    tags: [web]
  - exec: hold
    command: "sleep 3"
    creates: /etc/never
    tags: [hold]
  - exec: boom
    command: "exit 3"
    creates: /etc/never
    tags: [db]
EOF
printf 'handlers:\n  - type: json_file\n    path: /srv/report.json\n' >"$work/client.yaml"
common=(--policy "$work" --root "$root" --config "$work/client.yaml")

# The lock: a run holding it (a 3 s exec) refuses a targeted converge, which changes nothing.
"$ROUX" converge --tags hold "${common[@]}" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do [ -e "$root/var/lib/roux/run.lock" ] && break; sleep 0.1; done
sleep 0.5
run_roux converge --only 'file[/etc/web.conf]' "${common[@]}"
expect_rc 1 "targeted converge while the lock is held"
grep -qx "roux: error: another roux run (pid $holder) holds the run lock $root/var/lib/roux/run.lock; use --lock-wait SECONDS to wait for it" <<<"$ERR" ||
  fail "lock refusal: $ERR"
[ -e "$root/etc/web.conf" ] && fail "a refused targeted run changed the host"
wait "$holder" || true
# ... and --lock-wait waits for it like a full run.
"$ROUX" converge --tags hold "${common[@]}" >/dev/null 2>&1 &
holder=$!
sleep 0.5
run_roux converge --lock-wait 30 --only 'file[/etc/web.conf]' "${common[@]}"
expect_rc 2 "targeted converge with --lock-wait"
wait "$holder" || true

# plan --only: exit 2 when its selection would change, 0 when not; the failure outside is not run.
rm "$root/etc/web.conf"
run_roux plan --only 'file[/etc/web.conf]' "${common[@]}"
expect_rc 2 "plan --only with a change"
run_roux converge --only 'file[/etc/web.conf]' "${common[@]}"
expect_rc 2 "converge --only (the failing exec is outside the selection)"
[ "$(json_get "$root/srv/report.json" 'r["exit_code"]')" = 2 ] || fail "json_file handler: exit code"
[ "$(json_get "$root/srv/report.json" '[x["id"] for x in r["resources"]]')" = '["file[/etc/web.conf]"]' ] ||
  fail "json_file handler: resources $(json_get "$root/srv/report.json" '[x["id"] for x in r["resources"]]')"
[ "$(json_get "$root/srv/report.json" 'r["selection"]["only"]')" = '["file[/etc/web.conf]"]' ] ||
  fail "json_file handler: selection"
[ "$(json_get "$root/srv/report.json" '[r["selection"]["selected"], r["selection"]["of"]]')" = '[1, 3]' ] ||
  fail "json_file handler: selected/of $(json_get "$root/srv/report.json" 'r["selection"]')"
run_roux plan --only 'file[/etc/web.conf]' "${common[@]}"
expect_rc 0 "plan --only, converged"

# A failure inside the selection: exit 4, in the report, the handler's copy and the history.
run_roux converge --tags db "${common[@]}"
expect_rc 4 "converge --tags db (its exec fails)"
grep -qx '  ! exec\[boom\]: failed: command exited 3' <<<"$OUT" || fail "the failure is not shown: $OUT"
grep -qx 'partial run: 1 of 3 resources selected (--tags db)' <<<"$OUT" || fail "partial line: $OUT"
[ "$(json_get "$root/srv/report.json" 'r["exit_code"]')" = 4 ] || fail "json_file handler: exit code 4"
[ "$(json_get "$root/var/lib/roux/last_run.json" 'r["selection"]["tags"]')" = '["db"]' ] || fail "last_run.json selection"
tail -n 1 "$root/var/lib/roux/history.jsonl" >"$work/last.json"
[ "$(json_get "$work/last.json" '[r["exit_code"], r["selection"]["tags"]]')" = '[4, ["db"]]' ] ||
  fail "history line: $(cat "$work/last.json")"
echo "ok"
