#!/usr/bin/env bash
# systemd_unit under --root (no running systemd there): a unit file (inline content) and a drop-in
# (from a template) are written 0644 under /etc/systemd/system (plan == converge, plan changes
# nothing, second converge 0 changes); no daemon-reload (the resource says why); enabled: true
# enables the unit offline (systemctl --root); a content change is one change; ensure: absent
# removes; systemd-analyze verify refuses a unit whose command does not exist (the file is not
# written, systemd's message is shown); bad names and syntax are compile errors at file:line:col.
# The live path (daemon-reload once, start) is tested in systemd_nspawn_unit.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/systemd/system"
mkdir -p "$work/cookbooks/app/templates"
printf '[Service]\nLimitNOFILE={{attr.app.nofile}}\n' >"$work/cookbooks/app/templates/limits.conf.mustache"
policy() {  # $1 = ExecStart of app.service
  write_policy "$work" app <<EOF2
resources:
  - systemd_unit: app.service
    content: |
      [Unit]
      Description=roux e2e app
      [Service]
      ExecStart=$1
      [Install]
      WantedBy=multi-user.target
    enabled: true
  - systemd_unit: nginx.service.d/10-limits.conf
    template: limits.conf.mustache
EOF2
  printf 'name: e2e\nsources:\n  - cookbooks\nrun_list:\n  - app\nattributes:\n  app:\n    nofile: 4096\n' >"$work/policy.yaml"
}
policy "/bin/sleep 1000"
plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json" | cut -f1,2)" = "systemd_unit[app.service]	content
systemd_unit[app.service]	enabled
systemd_unit[nginx.service.d/10-limits.conf]	content" ] || fail "changes: $(json_changes "$work/c1.json")"
[ "$(cat "$root/etc/systemd/system/nginx.service.d/10-limits.conf")" = "[Service]
LimitNOFILE=4096" ] || fail "drop-in content"
[ "$(stat -c '%a %u:%g' "$root/etc/systemd/system/app.service")" = "644 0:0" ] || fail "unit mode/owner"
[ -L "$root/etc/systemd/system/multi-user.target.wants/app.service" ] || fail "app.service not enabled offline"
out0=$(json_get "$work/c1.json" 'r["resources"][0]["output"]')
[[ "$out0" == *"no running systemd: no daemon-reload (app.service, nginx.service take effect when systemd starts)"* ]] ||
  fail "no word on the daemon-reload: $out0"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
printf '%s\n' "$OUT" >"$work/c2.json"
[ -z "$(json_changes "$work/c2.json")" ] || fail "second converge changed: $(json_changes "$work/c2.json")"

# A changed unit: one content change, plan == converge.
policy "/bin/sleep 2000"
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan of the change"
printf '%s\n' "$OUT" >"$work/plan2.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge of the change"
printf '%s\n' "$OUT" >"$work/c3.json"
diff <(json_changes "$work/plan2.json") <(json_changes "$work/c3.json") || fail "plan and converge differ (change)"
[ "$(json_changes "$work/c3.json" | cut -f1,2)" = "systemd_unit[app.service]	content" ] || fail "change: $(json_changes "$work/c3.json")"
grep -q '^ExecStart=/bin/sleep 2000$' "$root/etc/systemd/system/app.service" || fail "content not changed"

# systemd-analyze verify refuses a command that does not exist: nothing written.
if command -v systemd-analyze >/dev/null; then
  policy "/nonexistent/roux-e2e-app"
  before=$(tree_checksum "$root/etc")
  run_roux converge --policy "$work" --root "$root" --format json
  expect_rc 4 "converge of a unit systemd refuses"
  printf '%s\n' "$OUT" >"$work/c4.json"
  err=$(resource_field "$work/c4.json" 'systemd_unit[app.service]' error)
  [[ "$err" == "systemd-analyze verify refused app.service (the unit was not installed): "*"Command /nonexistent/roux-e2e-app is not executable"* ]] ||
    fail "verify error: $err"
  [ "$(tree_checksum "$root/etc")" = "$before" ] || fail "a refused unit changed /etc"
else
  echo "note: no systemd-analyze on this machine: the verify step is not tested here"
fi

# ensure: absent removes the file (and disables it offline).
write_policy "$work" app <<'EOF2'
resources:
  - systemd_unit: app.service
    ensure: absent
  - systemd_unit: nginx.service.d/10-limits.conf
    ensure: absent
EOF2
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan absent"
printf '%s\n' "$OUT" >"$work/plan5.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "absent"
printf '%s\n' "$OUT" >"$work/c5.json"
diff <(json_changes "$work/plan5.json") <(json_changes "$work/c5.json") || fail "plan and converge differ (absent)"
[ ! -e "$root/etc/systemd/system/app.service" ] && [ ! -e "$root/etc/systemd/system/nginx.service.d/10-limits.conf" ] ||
  fail "files not removed"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/app.service" ] || fail "app.service not disabled before removal"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "absent again"

# Bad input: compile errors at file:line:col, nothing run.
write_policy "$work" app <<'EOF2'
resources:
  - systemd_unit: ../../etc/passwd
    content: "[Unit]\n"
  - systemd_unit: app.service
    content: |
      [Unit]
      Description=x
      ExecStart /bin/true
  - systemd_unit: db.service
    content: "[Service]\nExecStart=/bin/true\n"
    enabled: true
  - systemd_unit: nginx.service.d/limits.conf
    content: "[Service]\nLimitNOFILE=1\n"
    running: true
EOF2
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad input"
want="recipes/default.yaml:2:5: systemd_unit[../../etc/passwd]: invalid systemd_unit name \"../../etc/passwd\": a drop-in is UNIT.d/NAME.conf (nginx.service.d/10-limits.conf)
recipes/default.yaml:5:14: systemd_unit[app.service]: content: line 3: expected Key=value, got \"ExecStart /bin/true\"
recipes/default.yaml:11:14: systemd_unit[db.service]: enabled: the unit has no [Install] section (it is static): systemctl can neither enable nor disable it
recipes/default.yaml:14:14: systemd_unit[nginx.service.d/limits.conf]: running: a drop-in changes nginx.service: manage its state with service or systemd_unit[nginx.service]"
while IFS= read -r line; do
  grep -qF -- "$line" <<<"$ERR" || fail "missing error: $line
got: $ERR"
done <<<"$want"
echo "PASS: systemd_unit under --root: unit + drop-in, enabled offline, idempotent, plan == converge, verify refusal, absent, bad input"
