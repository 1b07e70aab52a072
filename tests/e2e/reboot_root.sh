#!/usr/bin/env bash
# reboot under --root (never reboots anything: a --root tree is not the running machine).
# A request is recorded in ROOT/run/roux/reboot-requests (a change, once) and reported as pending
# in the JSON report (`reboot`), the text summary and the history; the second converge makes no
# change and still reports it pending; plan changes nothing, lists the same change and the same
# reboot decision as the converge; a refresh_only reboot acts only when notified (a file changed);
# only_if_fact reboot_required skips it with the fact's value; the client config's reboot: and bad
# properties are refused at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/run"
cfg="$work/client.yaml"
printf 'reboot:\n  allow: true\n' >"$cfg"
policy() { write_policy "$work" app; }
policy <<'EOF2'
resources:
  - reboot: kernel
    action: reboot
    reason: new kernel installed
    delay_minutes: 2
EOF2
before=$(tree_checksum "$root")
run_roux plan --policy "$work" --root "$root" --config "$cfg" --format json
expect_rc 2 "plan"
printf '%s\n' "$OUT" >"$work/plan.json"
[ "$(tree_checksum "$root")" = "$before" ] || fail "plan changed the tree"
run_roux converge --policy "$work" --root "$root" --config "$cfg" --format json
expect_rc 2 "converge"
printf '%s\n' "$OUT" >"$work/c1.json"
diff <(json_changes "$work/plan.json") <(json_changes "$work/c1.json") || fail "plan and converge differ"
[ "$(json_changes "$work/c1.json")" = "reboot[kernel]	request		reboot +2m: new kernel installed" ] ||
  fail "changes: $(json_changes "$work/c1.json")"
[ "$(cat "$root/run/roux/reboot-requests")" = "reboot[kernel]	reboot	2	new kernel installed" ] ||
  fail "record: $(cat "$root/run/roux/reboot-requests")"
want='{"pending": true, "requests": [{"by": "reboot[kernel]", "action": "reboot", "delay_minutes": 2, "reason": "new kernel installed"}], "decision": "hold", "why": "--root: the tree is not the running machine"}'
[ "$(json_get "$work/c1.json" 'r["reboot"]')" = "$want" ] || fail "report reboot: $(json_get "$work/c1.json" 'r["reboot"]')"
[ "$(json_get "$work/plan.json" 'r["reboot"]')" = "$want" ] || fail "plan reboot: $(json_get "$work/plan.json" 'r["reboot"]')"
last=$(tail -1 "$root/var/lib/roux/history.jsonl")
python3 -c 'import json,sys; h=json.loads(sys.argv[1]); assert h["reboot"] == {"pending": True, "decision": "hold"}, h' "$last" ||
  fail "history: $last"

# Second converge: nothing to change, still pending (the text says so in its summary).
run_roux converge --policy "$work" --root "$root" --config "$cfg" --no-color
expect_rc 0 "second converge"
grep -qxF 'reboot pending: new kernel installed (reboot[kernel]); not rebooting: --root: the tree is not the running machine' <<<"$OUT" ||
  fail "text summary: $OUT"
run_roux plan --policy "$work" --root "$root" --config "$cfg" --format json
expect_rc 0 "plan after converge"
[ "$(json_get <(printf '%s\n' "$OUT") 'r["reboot"]["pending"]')" = true ] || fail "plan lost the pending reboot"

# A changed reason is one change of the record (the other line is kept).
printf 'reboot[other]\trequest\t0\tglibc\n' >>"$root/run/roux/reboot-requests"
policy <<'EOF2'
resources:
  - reboot: kernel
    action: reboot
    reason: kernel 6.1.0-30
    delay_minutes: 2
EOF2
run_roux converge --policy "$work" --root "$root" --config "$cfg" --format json
expect_rc 2 "new reason"
printf '%s\n' "$OUT" >"$work/c3.json"
[ "$(json_changes "$work/c3.json")" = "reboot[kernel]	request	reboot +2m: new kernel installed	reboot +2m: kernel 6.1.0-30" ] ||
  fail "new reason: $(json_changes "$work/c3.json")"
[ "$(cat "$root/run/roux/reboot-requests")" = "reboot[kernel]	reboot	2	kernel 6.1.0-30
reboot[other]	request	0	glibc" ] || fail "record after: $(cat "$root/run/roux/reboot-requests")"

# A reboot notified by a changed file (refresh_only): only then. The "reboot" is gone from /run.
rm -rf "$root/run/roux"
policy <<'EOF2'
resources:
  - file: /etc/kernel-version
    content: "6.1.0-30\n"
    notify: reboot[after-upgrade]
  - reboot: after-upgrade
    refresh_only: true
EOF2
run_roux plan --policy "$work" --root "$root" --config "$cfg" --format json
expect_rc 2 "plan notified"
printf '%s\n' "$OUT" >"$work/p4.json"
run_roux converge --policy "$work" --root "$root" --config "$cfg" --format json
expect_rc 2 "converge notified"
printf '%s\n' "$OUT" >"$work/c4.json"
diff <(json_changes "$work/p4.json") <(json_changes "$work/c4.json") || fail "plan and converge differ (notified)"
[ "$(json_changes "$work/c4.json" | grep reboot)" = "reboot[after-upgrade]	request		request: after-upgrade" ] ||
  fail "notified: $(json_changes "$work/c4.json")"
[ "$(resource_field "$work/c4.json" 'reboot[after-upgrade]' notified_by)" = '["file[/etc/kernel-version]"]' ] || fail "notified_by"
[ "$(json_get "$work/c4.json" 'r["reboot"]["why"]')" = "no request asks for the reboot itself (action: request)" ] ||
  fail "why: $(json_get "$work/c4.json" 'r["reboot"]')"
rm -rf "$root/run/roux"
run_roux converge --policy "$work" --root "$root" --config "$cfg" --format json
expect_rc 0 "not notified"
[ ! -e "$root/run/roux/reboot-requests" ] || fail "a refresh_only reboot recorded a request without a notification"
[ "$(json_get <(printf '%s\n' "$OUT") '"reboot" in r')" = false ] || fail "reboot in a report with nothing pending"

# only_if_fact reboot_required: skipped with the fact's value when it does not hold.
fact=$("$ROUX" facts --format json | python3 -c 'import json,sys; print(str(json.load(sys.stdin)["reboot_required"]).lower())')
other=$([ "$fact" = true ] && echo false || echo true)
policy <<EOF2
resources:
  - reboot: due
    only_if_fact: {reboot_required: $other}
EOF2
run_roux converge --policy "$work" --root "$root" --config "$cfg" --format json
expect_rc 0 "fact does not hold"
printf '%s\n' "$OUT" >"$work/c5.json"
[ "$(resource_field "$work/c5.json" 'reboot[due]' skip_reason)" = "only_if_fact reboot_required is \"$fact\", not \"$other\"" ] ||
  fail "skip: $(resource_field "$work/c5.json" 'reboot[due]' skip_reason)"

# Bad input: compile errors at file:line:col; a bad client config.
policy <<'EOF2'
resources:
  - reboot: kernel
    action: reboot_now
    delay_minutes: -1
EOF2
run_roux plan --policy "$work" --root "$root" --config "$cfg"
expect_rc 1 "bad reboot"
grep -qF 'recipes/default.yaml:3:13: reboot[kernel]: action: "reboot_now": roux never reboots mid-run' <<<"$ERR" || fail "reboot_now: $ERR"
grep -qF 'recipes/default.yaml:4:20: reboot[kernel]: delay_minutes: must be between 0 and 1440, got -1' <<<"$ERR" || fail "delay: $ERR"
printf 'reboot:\n  allow: yes please\n' >"$cfg"
run_roux plan --policy "$work" --root "$root" --config "$cfg"
expect_rc 1 "bad client config"
grep -qF "$cfg:2:10: client config: reboot: allow: expected true or false" <<<"$ERR" || fail "client config: $ERR"
printf 'reboot:\n  command: [shutdown, -r]\n' >"$cfg"
run_roux plan --policy "$work" --root "$root" --config "$cfg"
expect_rc 1 "relative reboot command"
grep -qF "$cfg:2:12: client config: reboot: command: expected a list of arguments starting with an absolute path" <<<"$ERR" ||
  fail "command: $ERR"
echo "PASS: reboot under --root: request recorded once and reported pending (report, summary, history), plan == converge, notified, only_if_fact, bad input"
