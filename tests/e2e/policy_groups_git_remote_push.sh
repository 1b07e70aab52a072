#!/usr/bin/env bash
# Promotion to a REMOTE git policy repository, as an operator's workstation or a CI job does it: a
# real `git http-backend` behind basic auth on 127.0.0.1 (tests/e2e/git/http_backend.py) serves
# the team's policy repository; the login is in a netrc file named by client.yaml `git:`, never
# in the URL. `supermarket publish-policy` and `roux promote` fetch the remote into a private
# clone, verify, commit on the remote's newest main and push it (never forced):
#   - publish two groups to an empty remote; a production host converges to its lock;
#   - without credentials, and with a wrong password: exit 1, a clear error, the remote unchanged;
#   - a pre-receive hook that declines: exit 1 with the remote's message, the remote unchanged;
#   - someone else pushes between our fetch and our push: fetched again and redone on top
#     (history stays linear, both changes kept); when that happens twice, exit 1 naming the group;
#   - a remote that stalls the push: bounded by http: {timeout}, nothing pushed;
#   - the push's answer lost after the remote took it: asked again, the promotion stands (exit 0,
#     a warning); lost before: exit 1, the remote unchanged;
#   - promote staging -> production remotely; the production host then converges to the promoted
#     lock (JSON report lock_digest);
#   - the password is in no output channel, report or state file.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
source "$(dirname "$0")/supermarket/groups_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP servers"
command -v git >/dev/null || skip "git is needed to create and inspect the policy repository"
[ -x "$(git --exec-path)/git-http-backend" ] || skip "git http-backend is not installed"

PASS='Pr0mote-Push-Pass-9Kz'
work=$(e2e_tmpdir)
export HOME="$work/home"  # no ~/.netrc of the machine's user is ever read
mkdir -p "$HOME"
groups_market "$work"
mkdir -p "$work/repos"
BARE="$work/repos/policies.git"
git init -q --bare --initial-branch=main "$BARE"

export GIT_BACKEND_BEFORE_PUSH="$work/before_push.sh"  # absent for now: nobody else pushes
export GIT_BACKEND_DROP_PUSH="$work/drop"  # absent for now: every push is answered
python3 "$(dirname "$0")/git/http_backend.py" "$work/git.port" "$work/repos" deploy "$PASS" 2>"$work/git.log" &
_SM_PIDS+=($!)
for _ in $(seq 200); do [ -s "$work/git.port" ] && break; sleep 0.05; done
[ -s "$work/git.port" ] || fail "the git backend did not start: $(cat "$work/git.log")"
REPO="git+http://127.0.0.1:$(cat "$work/git.port")/policies.git"
printf 'machine 127.0.0.1 login deploy password %s\n' "$PASS" >"$work/netrc"
printf 'machine 127.0.0.1 login deploy password wrong-%s\n' "$PASS" >"$work/bad.netrc"
chmod 600 "$work/netrc" "$work/bad.netrc"
printf 'git:\n  netrc: %s\n' "$work/netrc" >"$work/publisher.yaml"
printf 'git:\n  netrc: %s\n' "$work/bad.netrc" >"$work/bad.yaml"
printf 'trusted_keys: []\n' >"$work/none.yaml"
main_tip() { git -C "$BARE" rev-parse -q --verify refs/heads/main || echo none; }
pointer_lock() {  # pointer_lock GROUP: the lock the remote's pointer of GROUP names
  git -C "$BARE" show "main:policies/web/groups/$1.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock_sha256"])'
}
prod_lock=$(lock_sha "$work/policy-prod/policy.lock.json")
stag_lock=$(lock_sha "$work/policy/policy.lock.json")
out_all=""

# 1. Publish to the empty remote: the first push creates main; the second goes on top of it.
run_roux supermarket publish-policy "$work/policy-prod" --to "$REPO" --key "$work/team.key" --group production \
  --config "$work/publisher.yaml"
expect_rc 0 "publish the production lock to the remote repository"
grep -q "^published policy web to git repository $REPO " <<<"$OUT" && grep -q "commit [0-9a-f]\{40\}$" <<<"$OUT" ||
  fail "remote publish output: $OUT"
out_all+="$OUT$ERR"
run_roux supermarket publish-policy "$work/policy" --to "$REPO" --key "$work/team.key" --group staging \
  --config "$work/publisher.yaml"
expect_rc 0 "publish the staging lock to the remote repository"
out_all+="$OUT$ERR"
[ "$(git -C "$BARE" rev-list --count main)" = 2 ] || fail "two commits on the remote's main"
[ "$(pointer_lock production)" = "$prod_lock" ] && [ "$(pointer_lock staging)" = "$stag_lock" ] || fail "remote pointers"
grep -qF "POST /policies.git/git-receive-pack HTTP/1.1\" 200" "$work/git.log" || fail "no push over http: $(cat "$work/git.log")"

# A production host follows the remote repository.
host=$(e2e_tmpdir)
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$host" \
  --config "$work/publisher.yaml"
expect_rc 2 "bootstrap a production host from the remote repository"
out_all+="$OUT$ERR"
host_cfg=$(host_config "$host" "$work")
run_roux converge --root "$host" --config "$host_cfg" --format json --report "$work/report1.json"
expect_rc 0 "the production host again: nothing to change"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "production $prod_lock" ] || fail "production report: $OUT"
out_all+="$OUT$ERR"

# 2. Refused pushes change nothing remote.
before=$(main_tip)
run_roux promote web --from staging --to production --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/none.yaml" --root "$(e2e_tmpdir)"
expect_rc 1 "promote without credentials"
[[ "$ERR" == *"the server asks for a login and none was found for 127.0.0.1 (looked in $HOME/.netrc)"* ]] ||
  fail "promote without credentials: unclear error: $ERR"
grep -q "^roux: policy web was not promoted; group production was not changed$" <<<"$ERR" || fail "not-promoted line: $ERR"
out_all+="$OUT$ERR"
run_roux promote web --from staging --to production --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/bad.yaml" --root "$(e2e_tmpdir)"
expect_rc 1 "promote with a wrong password"
[[ "$ERR" == *"$work/bad.netrc"* ]] || fail "a wrong password: the error does not name the netrc file: $ERR"
out_all+="$OUT$ERR"
printf '#!/bin/sh\necho "main is frozen by change control CHG-42" >&2\nexit 1\n' >"$BARE/hooks/pre-receive"
chmod +x "$BARE/hooks/pre-receive"
run_roux promote web --from staging --to production --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/publisher.yaml" --root "$(e2e_tmpdir)"
expect_rc 1 "promote against a remote that declines the push"
[[ "$ERR" == *"push of branch main failed: "*"main is frozen by change control CHG-42"* ]] ||
  fail "a declined push: the remote's message is not shown: $ERR"
[[ "$ERR" == *"group production of policy web was not changed in the remote repository"* ]] || fail "declined: $ERR"
out_all+="$OUT$ERR"
rm "$BARE/hooks/pre-receive"
[ "$(main_tip)" = "$before" ] || fail "a refused push moved the remote's main"
[ "$(pointer_lock production)" = "$prod_lock" ] || fail "a refused push changed the production pointer"

# 3. Someone promotes (staging -> canary, from their clone) between our fetch and our push:
# our push is refused as not a fast-forward, fetched again and redone on top of theirs.
other=$(e2e_tmpdir)
git clone -q "$BARE" "$other/clone"
cat >"$work/before_push.sh" <<SH
[ -e "$work/raced" ] && exit 0
touch "$work/raced"
"$ROUX" promote web --from staging --to canary --source "$other/clone" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/none.yaml" --root "$other" >&2
git -C "$other/clone" push -q origin main >&2
SH
run_roux promote web --from staging --to production --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/publisher.yaml" --root "$(e2e_tmpdir)"
expect_rc 0 "promote staging -> production while someone else pushes"
[ -e "$work/raced" ] || fail "the concurrent push did not happen"
[[ "$ERR" == *"branch main moved since it was fetched"*"fetching it again and redoing the change on top"* ]] ||
  fail "the redo is not reported: $ERR"
grep -q "^promoted policy web from staging to production in git repository $REPO$" <<<"$OUT" || fail "promote: $OUT"
grep -q "^  was       sha256:$prod_lock$" <<<"$OUT" || fail "promote was: $OUT"
out_all+="$OUT$ERR"
[ "$(pointer_lock production)" = "$stag_lock" ] && [ "$(pointer_lock canary)" = "$stag_lock" ] ||
  fail "both promotions are on the remote's main"
[ "$(git -C "$BARE" rev-list --count main)" = 4 ] && [ "$(git -C "$BARE" rev-list --merges --count main)" = 0 ] ||
  fail "history: $(git -C "$BARE" log --oneline main)"
git -C "$BARE" log -1 --format=%s main | grep -q "^promote policy web: staging -> production" || fail "tip: $(git -C "$BARE" log -1 main)"

# Someone pushes every time: redone once, then refused naming the group; nothing of ours pushed.
cat >"$work/before_push.sh" <<SH
n=\$(( \$(cat "$work/races" 2>/dev/null || echo 0) + 1 )); echo \$n >"$work/races"
git -C "$other/clone" pull -q --ff-only origin main >&2
"$ROUX" promote web --from staging --to "canary\$n" --source "$other/clone" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/none.yaml" --root "$other" >&2
git -C "$other/clone" push -q origin main >&2
SH
run_roux promote web --from production --to qa --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/publisher.yaml" --root "$(e2e_tmpdir)"
expect_rc 1 "promote while someone pushes before each of our pushes"
[ "$(cat "$work/races")" = 2 ] || fail "expected exactly two attempts, saw $(cat "$work/races")"
[[ "$ERR" == *"branch main moved again while writing group qa of policy web"*"nothing was pushed"* ]] ||
  fail "a second race: unclear error: $ERR"
out_all+="$OUT$ERR"
! git -C "$BARE" cat-file -e main:policies/web/groups/qa.json 2>/dev/null || fail "a qa pointer reached the remote"
[[ "$(git -C "$BARE" log --format=%s main)" != *"-> qa"* ]] || fail "a qa commit reached the remote"

# A remote that stops answering the push: bounded by client.yaml http: {timeout}; nothing pushed.
printf 'sleep 20\n' >"$work/before_push.sh"
printf 'git:\n  netrc: %s\nhttp:\n  timeout: 3\n' "$work/netrc" >"$work/slow.yaml"
before=$(main_tip)
t0=$(date +%s)
run_roux promote web --from production --to qa --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/slow.yaml" --root "$(e2e_tmpdir)"
expect_rc 1 "promote against a remote that stalls the push"
[ $(($(date +%s) - t0)) -lt 15 ] || fail "the stalled push was not bounded by http: {timeout: 3}"
[[ "$ERR" == *"push of branch main failed: the git transfer did not finish within 3 s"* ]] || fail "stalled push: $ERR"
out_all+="$OUT$ERR"
rm "$work/before_push.sh"
[ "$(main_tip)" = "$before" ] || fail "a stalled push moved the remote's main"

# The answer to the push lost after the remote took it (the connection dropped once the ref is
# updated): the remote is asked again, its main is our commit, so the promotion stands (exit 0,
# a warning); lost before the remote took it: exit 1, the remote unchanged.
echo after >"$work/drop"
before=$(main_tip)
run_roux promote web --from-group staging --to-group dropped --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/publisher.yaml" --root "$(e2e_tmpdir)"
expect_rc 0 "promote whose push answer is lost after the remote took it"
grep -q "dropped after the push" "$work/git.log" || fail "the server did not drop the push: $(tail -5 "$work/git.log")"
[[ "$ERR" == *"the push of branch main reported a failure ("*"), but the remote's main is the pushed commit "* ]] ||
  fail "a lost answer to a push that landed: $ERR"
commit=$(sed -n "s/.*but the remote's main is the pushed commit \([0-9a-f]\{40\}\).*/\1/p" <<<"$ERR")
[ -n "$commit" ] && [ "$(main_tip)" = "$commit" ] || fail "the remote's main $(main_tip) is not the reported commit '$commit'"
[ "$(git -C "$BARE" rev-parse "$commit^")" = "$before" ] || fail "the landed commit is not on top of the old main"
[ "$(pointer_lock dropped)" = "$stag_lock" ] || fail "the landed promotion's pointer"
grep -q "^promoted policy web from staging to dropped in git repository $REPO$" <<<"$OUT" || fail "landed promote: $OUT"
out_all+="$OUT$ERR"
echo before >"$work/drop"
before=$(main_tip)
run_roux promote web --from-group staging --to-group dropped2 --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" \
  --config "$work/publisher.yaml" --root "$(e2e_tmpdir)"
expect_rc 1 "promote whose push is lost before the remote took it"
grep -q "dropped before the push" "$work/git.log" || fail "the server did not drop the push before it"
[[ "$ERR" == *"push of branch main failed: "*"; group dropped2 of policy web was not changed in the remote repository"* ]] ||
  fail "a push lost before it landed: $ERR"
[ "$(main_tip)" = "$before" ] || fail "a push lost before it landed moved the remote's main"
out_all+="$OUT$ERR"
rm "$work/drop"

# A password inside the URL (accepted, not recommended): stripped from every message.
run_roux promote web --from staging --to url-login --source "git+http://deploy:$PASS@${REPO#git+http://}" \
  --key "$work/team.key" --trust "$work/team.pub" --config "$work/none.yaml" --root "$(e2e_tmpdir)"
expect_rc 0 "promote with the login in the URL"
grep -q "^promoted policy web from staging to url-login in git repository $REPO$" <<<"$OUT" || fail "url login: $OUT"
out_all+="$OUT$ERR"

# 4. The production host converges to the promoted lock.
run_roux converge --root "$host" --config "$host_cfg" --format json --report "$work/report2.json"
expect_rc 2 "the production host after the remote promotion"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "production $stag_lock" ] || fail "report: $OUT"
[ "$(cat "$host/etc/site.version")" = 1.1.0 ] || fail "the promoted lock was not applied"
out_all+="$OUT$ERR"

# The password is in no output channel, report or state file.
[[ "$out_all" != *"$PASS"* ]] || fail "the password was printed"
! grep -rqF "$PASS" "$work/report1.json" "$work/report2.json" "$host" "$work/git.log" ||
  fail "the password is in a file: $(grep -rlF "$PASS" "$work/report1.json" "$work/report2.json" "$host" "$work/git.log")"
echo "PASS: publish and promote pushed to a remote git policy repository over http with client.yaml git: credentials"
