#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): promotion to a remote git policy repository over ssh, as a CI job
# runs it: no ssh agent, a key file and a known_hosts file named in client.yaml `git:`. A real
# OpenSSH sshd on 127.0.0.1 (tests/e2e/git/remote_lib.sh start_test_sshd) serves the team's bare
# policy repository as user git; cookbooks come from a supermarket on 127.0.0.1.
#   - publish-policy pushes over ssh:// (port 2222) and scp-style git@127.0.0.1:PATH;
#   - promote with a key the server does not know: exit 1 naming the key file, nothing pushed;
#   - promote staging -> production over ssh; a production host (following the repository over
#     ssh) then converges to the promoted lock (JSON report lock_digest).
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
source /roux/src/tests/e2e/lib.sh
source /roux/src/tests/e2e/supermarket/helpers.sh
source /roux/src/tests/e2e/supermarket/bootstrap_lib.sh
source /roux/src/tests/e2e/supermarket/groups_lib.sh
source /roux/src/tests/e2e/git/remote_lib.sh
trap '_sm_cleanup; [ -f /tmp/sshd.log ] && sed "s/^/sshd: /" /tmp/sshd.log | tail -20 >&2' EXIT
export HOME=/root
unset SSH_AUTH_SOCK
command -v /usr/sbin/sshd >/dev/null || skip "openssh-server is not in the sandbox image"
command -v git >/dev/null || skip "git is not in the sandbox image"
set +e  # the e2e helpers check every step themselves
git config --global --add safe.directory '*'  # the test (root) inspects git's repository

work=$(e2e_tmpdir)
groups_market "$work"
git_ssh_user
git init -q --bare --initial-branch=main /home/git/policies.git
chown -R git:git /home/git
start_test_sshd
BARE=/home/git/policies.git
ssh-keygen -q -t ed25519 -N '' -f /etc/roux/other_key
printf 'git:\n  ssh_key: /etc/roux/deploy_key\n  known_hosts: /etc/roux/known_hosts\n' >/etc/roux/ssh.yaml
printf 'git:\n  ssh_key: /etc/roux/other_key\n  known_hosts: /etc/roux/known_hosts\n' >/etc/roux/wrongkey.yaml
SSH_URL="git+ssh://git@127.0.0.1:2222/home/git/policies.git"
SCP_URL="git+git@127.0.0.1:policies.git"
pointer_lock() {
  git -C "$BARE" show "main:policies/web/groups/$1.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock_sha256"])'
}
prod_lock=$(lock_sha "$work/policy-prod/policy.lock.json")
stag_lock=$(lock_sha "$work/policy/policy.lock.json")

# 1. Publish over ssh:// and over scp-style.
run_roux supermarket publish-policy "$work/policy-prod" --to "$SSH_URL" --key "$work/team.key" --group production \
  --config /etc/roux/ssh.yaml
expect_rc 0 "publish the production lock over ssh://"
run_roux supermarket publish-policy "$work/policy" --to "$SCP_URL" --key "$work/team.key" --group staging \
  --config /etc/roux/ssh.yaml
expect_rc 0 "publish the staging lock over scp-style ssh"
[ "$(pointer_lock production)" = "$prod_lock" ] && [ "$(pointer_lock staging)" = "$stag_lock" ] || fail "remote pointers"
[ "$(git -C "$BARE" rev-list --count main)" = 2 ] || fail "two commits on the remote's main"

# A production host following the repository over ssh.
host=$(e2e_tmpdir)
mkdir -p "$host/etc"
printf 'sources:\n  - %s\npolicy_name: web\npolicy_group: production\ntrusted_keys:\n  - %s\ngit:\n  ssh_key: /etc/roux/deploy_key\n  known_hosts: /etc/roux/known_hosts\n' \
  "$SSH_URL" "$work/team.pub" >"$work/host.yaml"
run_roux converge --root "$host" --config "$work/host.yaml" --format json
expect_rc 2 "the production host converges over ssh"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "production $prod_lock" ] || fail "report: $OUT"

# 2. A key the server does not know: refused, naming the key file; nothing pushed.
before=$(git -C "$BARE" rev-parse main)
run_roux promote web --from staging --to production --source "$SSH_URL" --key "$work/team.key" --trust "$work/team.pub" \
  --config /etc/roux/wrongkey.yaml --root "$(e2e_tmpdir)"
expect_rc 1 "promote with a key the server does not know"
[[ "$ERR" == *"the ssh server refused the key /etc/roux/other_key (client config git: {ssh_key: ...}) for user git"* ]] ||
  fail "wrong key: unclear error: $ERR"
[ "$(git -C "$BARE" rev-parse main)" = "$before" ] || fail "a refused promote moved main"

# 3. Promote over ssh; the host converges to the promoted lock.
run_roux promote web --from staging --to production --source "$SSH_URL" --key "$work/team.key" --trust "$work/team.pub" \
  --config /etc/roux/ssh.yaml --root "$(e2e_tmpdir)"
expect_rc 0 "promote staging -> production over ssh"
grep -q "^promoted policy web from staging to production in git repository $SSH_URL$" <<<"$OUT" || fail "promote: $OUT"
[ "$(pointer_lock production)" = "$stag_lock" ] || fail "the production pointer was not pushed"
run_roux converge --root "$host" --config "$work/host.yaml" --format json
expect_rc 2 "the production host after the promotion"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "production $stag_lock" ] || fail "report: $OUT"
[ "$(cat "$host/etc/site.version")" = 1.1.0 ] || fail "the promoted lock was not applied"
echo "ok"
