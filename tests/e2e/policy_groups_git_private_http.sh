#!/usr/bin/env bash
# A host follows a private git policy repository (published policy groups over git) the way it
# fetches private git cookbook sources: a real `git http-backend` behind basic auth on 127.0.0.1
# (tests/e2e/git/http_backend.py) serves the repository; client.yaml `git: {netrc: FILE}` holds
# the login. Without it the host is refused with an error that says where roux looked; with it the
# host converges to its group's lock. The password is in no output channel (stdout text and JSON,
# stderr, the report file, the state folder, the cache), and `roux policy status` reads the
# repository with the same settings; `roux validate --config` opens a private git cookbook source
# with them too, and `roux bootstrap --config` bootstraps a host from the private repository and
# writes those git: settings into the client.yaml it makes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
source "$(dirname "$0")/supermarket/groups_lib.sh"
source "$(dirname "$0")/git/fixture.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP servers"
command -v git >/dev/null || skip "git is needed to create the policy repository"
[ -x "$(git --exec-path)/git-http-backend" ] || skip "git http-backend is not installed"

PASS='Pol1cy-Repo-Pass-7Qx'
work=$(e2e_tmpdir)
export HOME="$work/home"  # no ~/.netrc of the machine's user is ever read
mkdir -p "$HOME"
groups_market "$work"
mkdir -p "$work/repos"
git init -q --bare --initial-branch=main "$work/repos/policies.git"
git_fixture "$work/repos"  # a private git cookbook source too: $work/repos/remote.git
git_release "$work/repos" base 1.0.0
run_roux supermarket publish-policy "$work/policy" --to "git+file://$work/repos/policies.git" --key "$work/team.key" --group production
expect_rc 0 "publish the lock into git"

python3 "$(dirname "$0")/git/http_backend.py" "$work/git.port" "$work/repos" deploy "$PASS" 2>"$work/git.log" &
_SM_PIDS+=($!)
for _ in $(seq 200); do [ -s "$work/git.port" ] && break; sleep 0.05; done
[ -s "$work/git.port" ] || fail "the git backend did not start: $(cat "$work/git.log")"
URL="git+http://127.0.0.1:$(cat "$work/git.port")/policies.git"

host=$(e2e_tmpdir)
mkdir -p "$host/etc"
config() {  # config [GIT_SETTINGS_YAML]: the host's client.yaml
  printf 'sources:\n  - %s\npolicy_name: web\npolicy_group: production\ntrusted_keys:\n  - %s\n%s' \
    "$URL" "$work/team.pub" "${1:-}" >"$work/client.yaml"
}

# 1. No credentials: refused, the error says where roux looked and what to add.
config
run_roux converge --root "$host" --config "$work/client.yaml" --format json
expect_rc 1 "converge from a private policy repository without credentials"
[[ "$ERR" == *"the server asks for a login and none was found for 127.0.0.1 (looked in $HOME/.netrc)"* ]] ||
  fail "no credentials: unclear error: $ERR"
[ ! -e "$host/etc/site.version" ] || fail "something was applied without the policy"

# 2. client.yaml git: {netrc: FILE}: the host converges to the group's lock.
printf 'machine 127.0.0.1 login deploy password %s\n' "$PASS" >"$work/netrc"
chmod 600 "$work/netrc"
config "git:
  netrc: $work/netrc
"
run_roux converge --root "$host" --config "$work/client.yaml" --format json --report "$work/report.json"
expect_rc 2 "converge from a private policy repository with client.yaml git: netrc"
[ "$(json_get "$OUT" 'j["policy"] + " " + j["policy_group"]')" = "web production" ] || fail "report: $OUT"
[ "$(cat "$host/etc/site.version")" = 1.1.0 ] || fail "the group's lock was not applied"
grep -qF "GET /policies.git/info/refs?service=git-upload-pack HTTP/1.1\" 200" "$work/git.log" ||
  fail "the policy repository was not fetched over http: $(cat "$work/git.log")"
out_all="$OUT$ERR"
run_roux converge --root "$host" --config "$work/client.yaml"
expect_rc 0 "again: nothing to change"
out_all+="$OUT$ERR"

# 3. roux policy status reads the repository with the same settings.
run_roux policy status web --source "$URL" --trust "$work/team.pub" --config "$work/client.yaml"
expect_rc 0 "policy status from the private repository"
grep -q "^  production$" <<<"$OUT" || fail "status: $OUT"
out_all+="$OUT$ERR"

# 4. roux validate opens a private git cookbook source with client.yaml git: settings.
mkdir -p "$work/vpolicy"
printf 'name: v\nsources:\n  - %s\nrun_list:\n  - base\n' "${URL%/policies.git}/remote.git" >"$work/vpolicy/policy.yaml"
config
run_roux validate "$work/vpolicy" --config "$work/client.yaml"
expect_rc 1 "validate without credentials"
[[ "$ERR" == *"the server asks for a login and none was found"* ]] || fail "validate without credentials: $ERR"
out_all+="$OUT$ERR"
config "git:
  netrc: $work/netrc
"
run_roux validate "$work/vpolicy" --config "$work/client.yaml"
expect_rc 0 "validate with client.yaml git: netrc"
grep -q "^ok: $work/vpolicy/policy.yaml" <<<"$OUT" || fail "validate: $OUT"
out_all+="$OUT$ERR"

# 5. roux bootstrap --config: the host is made from the private repository; its client.yaml keeps
# the git: settings (the file's path, never the password).
b=$(e2e_tmpdir)
run_roux bootstrap --source "$URL" --policy web --group production --trust "$work/team.pub" --root "$b"
expect_rc 1 "bootstrap from a private policy repository without credentials"
[[ "$ERR" == *"the server asks for a login and none was found"* ]] || fail "bootstrap without credentials: $ERR"
out_all+="$OUT$ERR"
run_roux bootstrap --source "$URL" --policy web --group production --trust "$work/team.pub" --root "$b" \
  --config "$work/client.yaml" --force
expect_rc 2 "bootstrap from a private policy repository with --config"
[ "$(cat "$b/etc/site.version")" = 1.1.0 ] || fail "bootstrap did not apply the group's lock"
grep -qx "  netrc: \"$work/netrc\"" "$b/etc/roux/client.yaml" || fail "client.yaml lacks git: netrc: $(cat "$b/etc/roux/client.yaml")"
out_all+="$OUT$ERR"
run_roux bootstrap --source "$URL" --policy web --group production --trust "$work/team.pub" --root "$b" \
  --config "$work/client.yaml"
expect_rc 0 "bootstrap again: the same client.yaml is kept, nothing to change"
out_all+="$OUT$ERR"

# The password is in no output channel, report, state or cache file.
[[ "$out_all" != *"$PASS"* ]] || fail "the password was printed"
! grep -rqF "$PASS" "$work/report.json" "$host" "$b" || fail "the password is in a file: $(grep -rlF "$PASS" "$work/report.json" "$host" "$b")"
echo "PASS: a private git policy repository fetched with client.yaml git: credentials, never shown"
