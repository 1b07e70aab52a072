#!/usr/bin/env bash
# Targeted runs: `converge --only ID` and `--tags TAG` (and the same for plan) converge the
# selection and what it requires, nothing else; the JSON report and the text say the run was
# partial and what was selected; a notification to a resource outside the selection is not
# delivered, said, and kept for the next run that includes its target; an unknown id is an error
# with the nearest id; a full run afterwards converges the rest. Texts are API: checked verbatim.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF2'
tags: [base]
resources:
  - file: /etc/motd
    content: "hello\n"
  - directory: /etc/nginx
  - file: /etc/nginx/nginx.conf
    content: "worker_processes 2;\n"
    tags: [web, nginx]
    notify: exec[reload-nginx]
  - exec: reload-nginx
    command: "echo reloaded >> reloads"
    refresh_only: true
    cwd: /
EOF2
common=(--policy "$work" --root "$root")

# An unknown id: exit 1, the nearest id suggested, nothing changed.
run_roux converge "${common[@]}" --only 'file[/etc/nginx/ngnix.conf]'
expect_rc 1 "unknown --only id"
[ "$ERR" = "roux: error: --only: no resource file[/etc/nginx/ngnix.conf] in the policy; did you mean file[/etc/nginx/nginx.conf]?" ] ||
  fail "unknown id: $ERR"
run_roux plan "${common[@]}" --tags nope
expect_rc 1 "unknown tag"
[ "$ERR" = "roux: error: --tags: no resource carries the tag nope" ] || fail "unknown tag: $ERR"
[ ! -e "$root/etc/nginx" ] || fail "a refused run changed the host"

# plan --tags web: the tagged file and the folder it requires; nothing else is planned.
run_roux plan "${common[@]}" --tags web --format json --report "$work/plan.json"
expect_rc 2 "plan --tags web"
[ "$(json_get "$work/plan.json" '[x["id"] for x in r["resources"]]')" = '["directory[/etc/nginx]", "file[/etc/nginx/nginx.conf]"]' ] ||
  fail "plan --tags web planned: $(json_get "$work/plan.json" '[x["id"] for x in r["resources"]]')"
[ "$(json_get "$work/plan.json" 'r["selection"]')" = '{"only": [], "tags": ["web"], "selected": 2, "of": 4, "verify_selected": 0, "verify_of": 0}' ] ||
  fail "plan selection: $(json_get "$work/plan.json" 'r["selection"]')"

# converge --only the config file: it and its folder; the reload is outside: not delivered, said.
run_roux converge "${common[@]}" --only 'file[/etc/nginx/nginx.conf]'
expect_rc 2 "converge --only"
[ "$(cat "$root/etc/nginx/nginx.conf")" = "worker_processes 2;" ] || fail "the selected file was not converged"
[ ! -e "$root/etc/motd" ] || fail "motd is outside the selection but was converged"
[ ! -e "$root/reloads" ] || fail "the reload outside the selection ran"
grep -qxF "partial run: 2 of 4 resources selected (--only file[/etc/nginx/nginx.conf])" <<<"$OUT" || fail "no partial line: $OUT"
grep -qxF "notification not delivered: outside selection: file[/etc/nginx/nginx.conf] -> exec[reload-nginx]" <<<"$OUT" ||
  fail "no undelivered line: $OUT"
python3 - "$root/var/lib/roux/last_run.json" <<'PY' || fail "last_run.json does not record the partial run"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["selection"] == {"only": ["file[/etc/nginx/nginx.conf]"], "tags": [], "selected": 2, "of": 4, "verify_selected": 0, "verify_of": 0}, r["selection"]
conf = [x for x in r["resources"] if x["id"] == "file[/etc/nginx/nginx.conf]"][0]
assert conf["undelivered_notifications"] == ["exec[reload-nginx]"], conf
assert [x["id"] for x in r["resources"]] == ["directory[/etc/nginx]", "file[/etc/nginx/nginx.conf]"]
PY

python3 - "$root/var/lib/roux/history.jsonl" <<'PY' || fail "the history does not mark the partial run"
import json, sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert last["selection"]["only"] == ["file[/etc/nginx/nginx.conf]"], last
PY
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])))' "$root/var/lib/roux/pending_notifications.json")" = \
  "[{'action': '', 'source': 'file[/etc/nginx/nginx.conf]', 'target': 'exec[reload-nginx]'}]" ] ||
  fail "the undelivered notification was not kept: $(cat "$root/var/lib/roux/pending_notifications.json")"

# The next run that includes the target delivers the kept notification, once.
run_roux converge "${common[@]}" --tags base --format json --report "$work/full.json"
expect_rc 2 "converge --tags base (everything: the recipe's tag)"
[ "$(cat "$root/etc/motd")" = hello ] || fail "motd not converged by the full run"
[ "$(cat "$root/reloads")" = reloaded ] || fail "the kept notification was not delivered: $(cat "$root/reloads" 2>&1)"
[ "$(json_get "$work/full.json" '[x["notified_by"] for x in r["resources"] if x["id"] == "exec[reload-nginx]"][0]')" = '["file[/etc/nginx/nginx.conf]"]' ] ||
  fail "the delivered refresh does not name its source"
run_roux converge "${common[@]}"
expect_rc 0 "second full converge"
[ "$(cat "$root/reloads")" = reloaded ] || fail "the kept notification was delivered twice"
# Verify checks follow the selection: a recipe's checks run when one of its resources is
# selected; the failing check of the other recipe is neither run nor counted.
vwork=$(e2e_tmpdir)
vroot=$vwork/root
mkdir -p "$vroot/srv"
write_cookbook "$vwork" web <<'EOF2'
resources:
  - file: /srv/web.conf
    content: "listen 80\n"
verify:
  - file_contains: /srv/web.conf
    contains: "listen 80"
EOF2
write_cookbook "$vwork" db <<'EOF2'
resources:
  - file: /srv/db.conf
    content: "port 5432\n"
verify:
  - file_contains: /srv/db.conf
    contains: "port 9999"
EOF2
printf 'name: e2e\nsources:\n  - cookbooks\nrun_list:\n  - web\n  - db\n' >"$vwork/policy.yaml"
run_roux converge --policy "$vwork" --root "$vroot" --only 'file[/srv/web.conf]' --format json --report "$vwork/web.json"
expect_rc 2 "converge --only a web resource: the db check (failing) is not run"
python3 - "$vwork/web.json" <<'PY' || fail "verify checks of a targeted run"
import json, sys
r = json.load(open(sys.argv[1]))
assert [v["target"] for v in r["verify"]] == ["/srv/web.conf"], r["verify"]
assert r["verify"][0]["status"] == "passed", r["verify"]
assert r["selection"]["verify_selected"] == 1 and r["selection"]["verify_of"] == 2, r["selection"]
PY
run_roux converge --policy "$vwork" --root "$vroot"
expect_rc 6 "a full run converges db.conf and runs the db check, which fails (2 + 4)"
echo "targeted_runs: ok"
