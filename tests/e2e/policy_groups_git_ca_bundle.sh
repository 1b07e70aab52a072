#!/usr/bin/env bash
# A git policy repository over TLS with a private CA (tests/e2e/git/remote_lib.sh private_ca): a
# real `git http-backend` behind basic auth, over https on 127.0.0.1. A host whose client.yaml has
# no `ca_bundle:` is refused with an error that says to set it, and nothing is applied; with
# `ca_bundle: CA.pem` it converges to its group's lock (JSON report lock_digest). `roux promote`
# pushes through the same TLS check: refused without ca_bundle (the remote unchanged), pushed with
# it; the host then converges to the promoted lock. `roux bootstrap --config FILE` makes a new host
# behind the private CA with FILE's settings, and writes all of them into the new client.yaml.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
source "$(dirname "$0")/supermarket/groups_lib.sh"
source "$(dirname "$0")/git/remote_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP servers"
command -v git >/dev/null || skip "git is needed to create the policy repository"
command -v openssl >/dev/null || skip "openssl is needed to make the private CA"
[ -x "$(git --exec-path)/git-http-backend" ] || skip "git http-backend is not installed"

PASS='Tls-Policy-Pass-4Wd'
work=$(e2e_tmpdir)
export HOME="$work/home"
mkdir -p "$HOME"
groups_market "$work"
mkdir -p "$work/repos"
BARE="$work/repos/policies.git"
git init -q --bare --initial-branch=main "$BARE"
run_roux supermarket publish-policy "$work/policy-prod" --to "git+file://$BARE" --key "$work/team.key" --group production
expect_rc 0 "publish the production lock"
run_roux supermarket publish-policy "$work/policy" --to "git+file://$BARE" --key "$work/team.key" --group staging
expect_rc 0 "publish the staging lock"
prod_lock=$(lock_sha "$work/policy-prod/policy.lock.json")
stag_lock=$(lock_sha "$work/policy/policy.lock.json")

private_ca "$work/tls"
python3 "$(dirname "$0")/git/http_backend.py" "$work/git.port" "$work/repos" deploy "$PASS" \
  "$work/tls/srv.pem" "$work/tls/srv.key" 2>"$work/git.log" &
_SM_PIDS+=($!)
for _ in $(seq 200); do [ -s "$work/git.port" ] && break; sleep 0.05; done
[ -s "$work/git.port" ] || fail "the git backend did not start: $(cat "$work/git.log")"
REPO="git+https://127.0.0.1:$(cat "$work/git.port")/policies.git"
printf 'machine 127.0.0.1 login deploy password %s\n' "$PASS" >"$work/netrc"
chmod 600 "$work/netrc"
config() {  # config FILE [CA_BUNDLE_LINE]: a production host's client.yaml
  printf 'sources:\n  - %s\npolicy_name: web\npolicy_group: production\ntrusted_keys:\n  - %s\ngit:\n  netrc: %s\n%s' \
    "$REPO" "$work/team.pub" "$work/netrc" "${2:-}" >"$1"
}
config "$work/noca.yaml"
config "$work/ca.yaml" "ca_bundle: $work/tls/ca.pem
"
host=$(e2e_tmpdir)
mkdir -p "$host/etc"

# 1. No ca_bundle: the private CA is not trusted; the error says what to set; nothing applied.
run_roux converge --root "$host" --config "$work/noca.yaml" --format json
expect_rc 1 "converge from a policy repository behind a private CA without ca_bundle"
[[ "$ERR" == *"the TLS certificate of 127.0.0.1 is not trusted (not signed by a CA of the system's CA store; set ca_bundle: FILE in the client config for a private CA"* ]] ||
  fail "no ca_bundle: unclear error: $ERR"
[ ! -e "$host/srv/site/index.html" ] || fail "something was applied without the policy"

# 2. ca_bundle: the host converges to its group's lock.
run_roux converge --root "$host" --config "$work/ca.yaml" --format json
expect_rc 2 "converge with ca_bundle"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "production $prod_lock" ] || fail "report: $OUT"
grep -q "GET /policies.git/info/refs?service=git-upload-pack HTTP/1.1\" 200" "$work/git.log" ||
  fail "the repository was not fetched over https: $(cat "$work/git.log")"

# 3. promote over https: refused without ca_bundle (nothing pushed), pushed with it.
before=$(git -C "$BARE" rev-parse main)
run_roux promote web --from staging --to production --source "$REPO" --key "$work/team.key" --config "$work/noca.yaml" \
  --root "$(e2e_tmpdir)"
expect_rc 1 "promote over https without ca_bundle"
[[ "$ERR" == *"the TLS certificate of 127.0.0.1 is not trusted"* ]] || fail "promote without ca_bundle: $ERR"
[ "$(git -C "$BARE" rev-parse main)" = "$before" ] || fail "a refused promote moved main"
run_roux promote web --from staging --to production --source "$REPO" --key "$work/team.key" --config "$work/ca.yaml" \
  --root "$(e2e_tmpdir)"
expect_rc 0 "promote over https with ca_bundle"
grep -q "POST /policies.git/git-receive-pack HTTP/1.1\" 200" "$work/git.log" || fail "no push over https: $(cat "$work/git.log")"
run_roux converge --root "$host" --config "$work/ca.yaml" --format json
expect_rc 2 "the host after the promotion"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "production $stag_lock" ] || fail "report: $OUT"

# 4. roux bootstrap --config: bootstrap fetches with the file's ca_bundle and git: settings (a
# new host behind the private CA), and writes every setting of the file the host needs into the
# client.yaml it makes; its sources, policy and keys come from the arguments.
cat >"$work/bootstrap.yaml" <<YAML
policy_name: web
policy_group: production
ca_bundle: $work/tls/ca.pem
git:
  netrc: $work/netrc
http:
  timeout: 45
log_level: info
reboot:
  allow: false
apt_update:
  max_age: 1d
handlers:
  - type: json_file
    path: /etc/roux/last-report.json
sources:
  - http://ignored.example/
YAML
b=$(e2e_tmpdir)
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$b" \
  --config "$work/noca.yaml"
expect_rc 1 "bootstrap behind the private CA with a --config without ca_bundle"
[[ "$ERR" == *"the TLS certificate of 127.0.0.1 is not trusted"* ]] || fail "bootstrap without ca_bundle: $ERR"
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$b" \
  --config "$work/bootstrap.yaml" --force
expect_rc 2 "bootstrap behind the private CA with --config"
[ "$(cat "$b/etc/site.version")" = 1.1.0 ] || fail "bootstrap did not apply the group's lock"
cfg=$b/etc/roux/client.yaml
for want in "ca_bundle: $work/tls/ca.pem" "  netrc: \"$work/netrc\"" "  timeout: 45" "log_level: info" "  allow: false" \
  "  max_age: 1d" "  - type: json_file" "    path: /etc/roux/last-report.json" "  - $REPO" "policy_group: production"; do
  grep -qxF -- "$want" "$cfg" || fail "the client.yaml bootstrap wrote lacks \"$want\": $(cat "$cfg")"
done
! grep -q "ignored.example" "$cfg" || fail "--config's sources replaced bootstrap's: $(cat "$cfg")"
# The host runs with it: the handler of --config writes its report.
run_roux converge --root "$b" --config "$(host_config "$b" "$work")" --format json
expect_rc 0 "converge with the client.yaml bootstrap wrote"
[ "$(json_get "$(cat "$b/etc/roux/last-report.json")" 'j["lock_digest"]')" = "$stag_lock" ] ||
  fail "the json_file handler of --config did not write the report"
# The same again (the group from --config's policy_group): kept. Another group than --config's:
# refused. Another setting in --config: refused naming it (nothing changed), unless --force.
run_roux bootstrap --source "$REPO" --policy web --trust "$work/team.pub" --root "$b" --config "$work/bootstrap.yaml"
expect_rc 0 "bootstrap again with the same --config (its policy_group)"
run_roux bootstrap --source "$REPO" --policy web --group staging --trust "$work/team.pub" --root "$b" \
  --config "$work/bootstrap.yaml"
expect_rc 1 "bootstrap with --group other than --config's policy_group"
[[ "$ERR" == *"--group staging but --config $work/bootstrap.yaml says policy_group: production"* ]] || fail "group mismatch: $ERR"
cp "$cfg" "$work/cfg.before"
sed 's/timeout: 45/timeout: 90/' "$work/bootstrap.yaml" >"$work/bootstrap2.yaml"
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$b" \
  --config "$work/bootstrap2.yaml"
expect_rc 1 "bootstrap with a --config whose http: differs"
[[ "$ERR" == *"http: its setting differs from those of bootstrap --config"* ]] || fail "a differing setting: $ERR"
cmp -s "$cfg" "$work/cfg.before" || fail "a refused bootstrap changed the client.yaml"
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$b" \
  --config "$work/bootstrap2.yaml" --force
expect_rc 0 "bootstrap --force with the new --config"
grep -qx "  timeout: 90" "$cfg" || fail "--force did not write the new setting: $(cat "$cfg")"
# A bad --config: refused at its file:line:col, nothing written; a missing one: refused.
printf 'ca_bundle: %s\nhttp:\n  timeuot: 5\n' "$work/tls/ca.pem" >"$work/bad.yaml"
b2=$(e2e_tmpdir)
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$b2" \
  --config "$work/bad.yaml"
expect_rc 1 "bootstrap with a bad --config"
[[ "$ERR" == *"$work/bad.yaml:3:3"*"unknown key \"timeuot\""* ]] || fail "a bad --config: unclear error: $ERR"
[ ! -e "$b2/etc/roux/client.yaml" ] || fail "a bad --config wrote a client.yaml"
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$b2" \
  --config "$work/no-such.yaml"
expect_rc 1 "bootstrap with a missing --config"
[[ "$ERR" == *"--config $work/no-such.yaml: no such file"* ]] || fail "a missing --config: $ERR"
[ ! -e "$b2/etc/roux/client.yaml" ] || fail "a missing --config wrote a client.yaml"
echo "PASS: a git policy repository behind a private CA: refused without ca_bundle, fetched and promoted with it; bootstrap --config fetches with and writes every setting"
