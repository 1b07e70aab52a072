#!/usr/bin/env bash
# Policy groups through a git policy repository the test creates (cookbooks from a supermarket on
# 127.0.0.1): publish-policy commits each group's lock and signed pointer on branch main; two
# hosts (--root trees) bootstrap from git+file:// and converge to their group's lock; `policy
# status` and `policy diff` read the repository (the diff is the same text as through the
# supermarket); tampered repositories (an edited pointer, an edited lock, a pointer copied from
# another group) are refused by promote and by hosts; `roux promote` commits the move, and the
# production host converges to staging's versions.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
source "$(dirname "$0")/supermarket/groups_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"
command -v git >/dev/null || skip "git is needed to create and inspect the policy repository"

work=$(e2e_tmpdir)
groups_market "$work"
git init -q --bare --initial-branch=main "$work/policies.git"
REPO="git+file://$work/policies.git"
run_roux supermarket publish-policy "$work/policy-prod" --to "$REPO" --key "$work/team.key" --group production
expect_rc 0 "publish the production lock into git"
grep -q "^published policy web to git repository $work/policies.git (2 locked cookbooks)$" <<<"$OUT" || fail "git publish: $OUT"
run_roux supermarket publish-policy "$work/policy" --to "$REPO" --key "$work/team.key" --group staging
expect_rc 0 "publish the staging lock into git"
run_roux supermarket publish-policy "$work/policy" --to "$REPO" --key "$work/team.key" --group staging
expect_rc 0 "publish the same lock again"
grep -q "^group staging of policy web already runs lock sha256:.*; nothing to do$" <<<"$OUT" || fail "git republish: $OUT"
prod_lock=$(lock_sha "$work/policy-prod/policy.lock.json")
stag_lock=$(lock_sha "$work/policy/policy.lock.json")
# The layout: one commit per publish on main, the locks by content digest, a signed pointer per group.
[ "$(git -C "$work/policies.git" rev-list --count main)" = 2 ] || fail "two commits on main"
files=$(git -C "$work/policies.git" ls-tree -r --name-only main)
grep -qx "policies/web/groups/production.json" <<<"$files" && grep -qx "policies/web/groups/production.json.sig" <<<"$files" ||
  fail "pointer files: $files"
[ "$(grep -c '^policies/web/locks/[0-9a-f]\{64\}/policy.lock.json$' <<<"$files")" = 2 ] || fail "two locks: $files"
[ "$(git -C "$work/policies.git" show main:policies/web/groups/staging.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock_sha256"])')" = "$stag_lock" ] ||
  fail "the staging pointer names the staging lock"

# Two hosts from git.
prod=$(e2e_tmpdir)
stag=$(e2e_tmpdir)
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$prod"
expect_rc 2 "bootstrap production from git"
run_roux bootstrap --source "$REPO" --policy web --group staging --trust "$work/team.pub" --root "$stag"
expect_rc 2 "bootstrap staging from git"
[ "$(cat "$prod/srv/site/index.html")" = "<h1>rebuilt by roux</h1>" ] && [ ! -e "$prod/etc/site.version" ] ||
  fail "production content"
[ "$(cat "$stag/srv/site/index.html")" = "<h1>staging</h1>" ] && [ "$(cat "$stag/etc/site.version")" = 1.1.0 ] ||
  fail "staging content"
prod_cfg=$(host_config "$prod" "$work")
stag_cfg=$(host_config "$stag" "$work")
run_roux converge --root "$prod" --config "$prod_cfg" --format json
expect_rc 0 "production again from git: nothing to change"
[ "$(json_get "$OUT" 'j["policy"] + " " + j["policy_group"] + " " + j["lock_digest"]')" = "web production $prod_lock" ] ||
  fail "production report from git: $OUT"

# Status and diff read the repository.
run_roux policy status web --source "$REPO" --trust "$work/team.pub"
expect_rc 0 "status from git"
grep -A5 "^  production$" <<<"$OUT" | grep -q "^    lock      sha256:$prod_lock$" || fail "git status production: $OUT"
grep -A5 "^  staging$" <<<"$OUT" | grep -q "^    cookbooks base 1.0.0, site 1.1.0$" || fail "git status staging: $OUT"
cache=$(e2e_tmpdir)
run_roux policy diff web production staging --source "$REPO" --trust "$work/team.pub" --root "$cache" --format json
expect_rc 2 "git diff json"
host=$(json_get "$OUT" 'j["host"]')
run_roux policy diff web production staging --source "$REPO" --trust "$work/team.pub" --root "$cache"
expect_rc 2 "git diff"
cat >"$work/diff.want" <<TXT
policy web: production (lock sha256:${prod_lock:0:12}) -> staging (lock sha256:${stag_lock:0:12})
cookbooks:
  site 1.0.0 -> 1.1.0
resources compiled for this host ($host):
  + file[/etc/site.version]
  ~ file[/srv/site/index.html]
      content: "<h1>rebuilt by roux</h1>\n" -> "<h1>staging</h1>\n"
cookbooks: 1 differs, 1 the same; resources: 1 added, 0 removed, 1 changed
TXT
diff "$work/diff.want" <(printf '%s\n' "$OUT") || fail "git policy diff text"

# Tampered copies of the repository: each refused by promote and by a host; nothing committed.
tamper() {  # tamper NAME SHELL: a clone of the repository with SHELL run in it, committed and pushed to WORK/NAME.git
  git clone -q --bare "$work/policies.git" "$work/$1.git"
  git clone -q -b main "$work/$1.git" "$work/$1"
  (cd "$work/$1" && eval "$2" && git -c user.name=m -c user.email=m@x commit -qam tamper && git push -q origin HEAD:main)
}
tamper edited-pointer 'sed -i "s/$stag_lock/$prod_lock/" policies/web/groups/staging.json'
ldir=$(dirname "$(grep "^policies/web/locks/.*/policy.lock.json$" <<<"$files" | while read -r f; do git -C "$work/policies.git" show "main:$f" | grep -q 1.1.0 && echo "$f"; done)")
tamper edited-lock "sed -i 's/1\\.1\\.0/1.0.0/' $ldir/policy.lock.json"
tamper copied-pointer 'cp policies/web/groups/staging.json policies/web/groups/production.json && cp policies/web/groups/staging.json.sig policies/web/groups/production.json.sig'
for t in edited-pointer edited-lock; do
  before=$(git -C "$work/$t.git" rev-parse main)
  run_roux promote web --from staging --to production --source "git+file://$work/$t.git" --key "$work/team.key" \
    --trust "$work/team.pub" --root "$(e2e_tmpdir)"
  expect_rc 1 "promote from $t"
  case $t in
    edited-pointer) grep -q "policies/web/groups/staging.json: signature check failed: the signature does not match the content" <<<"$ERR" ||
      fail "edited pointer: $ERR" ;;
    edited-lock) grep -q "$ldir: content check failed: its content sha256 is [0-9a-f]* but group staging points at" <<<"$ERR" ||
      fail "edited lock: $ERR" ;;
  esac
  [ "$(git -C "$work/$t.git" rev-parse main)" = "$before" ] || fail "a refused promotion committed ($t)"
  run_roux bootstrap --source "git+file://$work/$t.git" --policy web --group staging --trust "$work/team.pub" --root "$(e2e_tmpdir)"
  expect_rc 1 "a host refuses $t"
done
run_roux bootstrap --source "git+file://$work/copied-pointer.git" --policy web --group production --trust "$work/team.pub" --root "$(e2e_tmpdir)"
expect_rc 1 "a host refuses a pointer copied from another group"
grep -q "pointer check failed: it is signed for policy web group staging, not web group production" <<<"$ERR" || fail "copied pointer: $ERR"
run_roux promote web --from canary --to production --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" --root "$(e2e_tmpdir)"
expect_rc 1 "promote from a missing group"
grep -q "policy web has no group canary" <<<"$ERR" || fail "missing group in git: $ERR"

# Promote through git: one commit; production converges to staging's versions.
run_roux promote web --from staging --to production --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" --root "$(e2e_tmpdir)"
expect_rc 0 "promote in git"
grep -q "^promoted policy web from staging to production in git repository $work/policies.git$" <<<"$OUT" || fail "git promote: $OUT"
grep -q "^  cookbook  site 1.0.0 -> 1.1.0$" <<<"$OUT" || fail "git promote cookbooks: $OUT"
commit=$(sed -n 's/^  signed    by key [0-9a-f]*, commit \([0-9a-f]*\)$/\1/p' <<<"$OUT")
[ "$commit" = "$(git -C "$work/policies.git" rev-parse main)" ] || fail "the promote commit is main: $OUT"
[ "$(git -C "$work/policies.git" log -1 --format=%s main)" = "promote policy web: staging -> production (lock sha256:${stag_lock:0:12})" ] ||
  fail "commit message: $(git -C "$work/policies.git" log -1 --format=%s main)"
run_roux converge --root "$prod" --config "$prod_cfg" --format json
expect_rc 2 "production converges to the promoted lock from git"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "production $stag_lock" ] || fail "promoted report: $OUT"
[ "$(cat "$prod/srv/site/index.html")" = "<h1>staging</h1>" ] && [ "$(cat "$prod/etc/site.version")" = 1.1.0 ] ||
  fail "production content after the git promotion"
run_roux converge --root "$stag" --config "$stag_cfg" --format json
expect_rc 0 "staging from git: nothing to change"
echo "PASS: policy groups through a git repository: publish, two hosts, status, diff, tampering refused, promote"
