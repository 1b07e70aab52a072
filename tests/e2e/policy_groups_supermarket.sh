#!/usr/bin/env bash
# Policy groups through a supermarket on 127.0.0.1: production runs site 1.0.0, staging site
# 1.1.0; two hosts (two --root trees) converge to their group's exact lock (the JSON report names
# policy, group and lock digest); `roux policy status` and `roux policy diff` (exact text) show
# what differs; tampered sources (an altered index, an edited lock) and a missing from-group are
# refused with nothing changed; `roux promote` takes the run lock, moves the exact lock, prints the
# cookbook versions that move, and the production host then converges to staging's versions.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
source "$(dirname "$0")/supermarket/groups_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
groups_market "$work"
run_roux supermarket publish-policy "$work/policy-prod" --to "$work/market" --key "$work/team.key" --group production
expect_rc 0 "publish the production lock"
run_roux supermarket publish-policy "$work/policy" --to "$work/market" --key "$work/team.key" --group staging
expect_rc 0 "publish the staging lock"
grep -q "^published policy web revision 2" <<<"$OUT" || fail "staging is revision 2: $OUT"
prod_lock=$(lock_sha "$work/policy-prod/policy.lock.json")
stag_lock=$(lock_sha "$work/policy/policy.lock.json")
[ "$prod_lock" != "$stag_lock" ] || fail "the two locks are the same"
# The index records each group's exact lock, signed with it.
python3 - "$work/market/universe" "$prod_lock" "$stag_lock" <<'PY' || fail "group_locks in the index"
import json, sys
p = json.load(open(sys.argv[1]))["_policies"]["web"]
assert p["groups"] == {"default": 1, "production": 1, "staging": 2}, p["groups"]
gl = p["group_locks"]
assert gl["production"]["lock_sha256"] == sys.argv[2] and gl["production"]["revision"] == 1, gl
assert gl["staging"]["lock_sha256"] == sys.argv[3] and gl["staging"]["via"] == "publish-policy", gl
assert p["revisions"]["2"]["lock_sha256"] == sys.argv[3], p["revisions"]
PY

# Two hosts, one per group.
prod=$(e2e_tmpdir)
stag=$(e2e_tmpdir)
run_roux bootstrap --source "$URL" --policy web --group production --trust "$work/team.pub" --root "$prod"
expect_rc 2 "bootstrap the production host"
run_roux bootstrap --source "$URL" --policy web --group staging --trust "$work/team.pub" --root "$stag"
expect_rc 2 "bootstrap the staging host"
[ "$(cat "$prod/srv/site/index.html")" = "<h1>rebuilt by roux</h1>" ] || fail "production content"
[ ! -e "$prod/etc/site.version" ] || fail "production got staging's file"
[ "$(cat "$stag/srv/site/index.html")" = "<h1>staging</h1>" ] || fail "staging content"
[ "$(cat "$stag/etc/site.version")" = "1.1.0" ] || fail "staging's new file"
prod_cfg=$(host_config "$prod" "$work")
stag_cfg=$(host_config "$stag" "$work")
run_roux converge --root "$prod" --config "$prod_cfg" --format json
expect_rc 0 "production converges again: nothing to change"
[ "$(json_get "$OUT" 'j["policy"] + " " + j["policy_group"] + " " + j["lock_digest"]')" = "web production $prod_lock" ] ||
  fail "the production report names policy, group and lock: $OUT"
run_roux converge --root "$stag" --config "$stag_cfg" --format json
expect_rc 0 "staging converges again: nothing to change"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "staging $stag_lock" ] ||
  fail "the staging report: $OUT"
# The history keeps them too.
run_roux history --root "$prod" --format json
grep -q "\"policy_group\": \"production\"" <<<"$OUT" && grep -q "\"lock_digest\": \"$prod_lock\"" <<<"$OUT" ||
  fail "the history names the group and lock: $OUT"

# Status: which lock each group runs, since when, by which key.
run_roux policy status web --source "$URL" --trust "$work/team.pub"
expect_rc 0 "policy status"
grep -q "^policy web in $URL$" <<<"$OUT" || fail "status header: $OUT"
grep -A5 "^  production$" <<<"$OUT" | grep -q "^    lock      sha256:$prod_lock (revision 1)$" || fail "status production lock: $OUT"
grep -A5 "^  staging$" <<<"$OUT" | grep -q "^    lock      sha256:$stag_lock (revision 2)$" || fail "status staging lock: $OUT"
grep -A5 "^  staging$" <<<"$OUT" | grep -q "^    cookbooks base 1.0.0, site 1.1.0$" || fail "status staging cookbooks: $OUT"
grep -A5 "^  production$" <<<"$OUT" | grep -q "^    same lock as default$" || fail "production = default: $OUT"
grep -A5 "^  staging$" <<<"$OUT" | grep -qE "^    since     20[0-9-]+T[0-9:]+Z, publish-policy$" || fail "status since: $OUT"
run_roux policy status web --source "$URL" --trust "$work/team.pub" --format json
expect_rc 0 "policy status --format json"
[ "$(json_get "$OUT" '[(g["group"], g["lock_sha256"] == L) for g in j["groups"] for L in [g["lock_sha256"]]][0][0]')" = default ] ||
  fail "status json: $OUT"
[ "$(json_get "$OUT" '{g["group"]: g["lock_sha256"] for g in j["groups"]}["staging"]')" = "$stag_lock" ] || fail "status json staging: $OUT"

# Diff: what a production host would see change if it ran staging's lock (exact text).
cache=$(e2e_tmpdir)
run_roux policy diff web production staging --source "$URL" --trust "$work/team.pub" --root "$cache" --format json
expect_rc 2 "policy diff --format json: they differ"
host=$(json_get "$OUT" 'j["host"]')
[ "$(json_get "$OUT" 'j["cookbooks"]')" = "[{'name': 'site', 'from': '1.0.0', 'to': '1.1.0'}]" ] || fail "diff json cookbooks: $OUT"
[ "$(json_get "$OUT" 'j["resources"]["added"]')" = "['file[/etc/site.version]']" ] || fail "diff json added: $OUT"
run_roux policy diff web production staging --source "$URL" --trust "$work/team.pub" --root "$cache"
expect_rc 2 "policy diff: they differ"
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
diff "$work/diff.want" <(printf '%s\n' "$OUT") || fail "policy diff text"
cp "$work/diff.want" "$work/diff.supermarket"
run_roux policy diff web production default --source "$URL" --trust "$work/team.pub" --root "$cache"
expect_rc 0 "diff of two groups on the same lock"
grep -q "^no difference: the same cookbooks, and the same 5 resources compiled for this host$" <<<"$OUT" || fail "no-difference text: $OUT"

# Refusals: nothing in the supermarket changes.
prom=$(e2e_tmpdir)
promote=(promote web --from staging --to production --source "$work/market" --key "$work/team.key" --trust "$work/team.pub" --root "$prom")
cp -a "$work/market" "$work/market.before"
run_roux promote web --from canary --to production --source "$work/market" --key "$work/team.key" --trust "$work/team.pub" --root "$prom"
expect_rc 1 "promote from a group that has no lock"
grep -q "policy web has no group canary (groups: default, production, staging)" <<<"$ERR" || fail "missing group: $ERR"
grep -q "^roux: policy web was not promoted; group production was not changed$" <<<"$ERR" || fail "not promoted: $ERR"
# An index altered after signing.
sed -i 's/"production": 1/"production": 2/' "$work/market/universe"
run_roux "${promote[@]}"
expect_rc 1 "promote over an altered index"
grep -q "index signature check failed" <<<"$ERR" || fail "altered index: $ERR"
cp "$work/market.before/universe" "$work/market/universe"
# An edited lock: staging's tarball repacked with another lockfile and signed again (by the team
# key, even): its sha256 is not the one the signed index names.
mkdir -p "$work/edit" && tar -xzf "$work/market/policies/web-2.tar.gz" -C "$work/edit"
sed -i 's/1\.1\.0/1.0.0/' "$work/edit/policy.lock.json"
tar -czf "$work/market/policies/web-2.tar.gz" -C "$work/edit" policy.lock.json policy.yaml
run_roux supermarket sign "$work/market/policies/web-2.tar.gz" --key "$work/team.key"
run_roux "${promote[@]}"
expect_rc 1 "promote an edited lock"
grep -q "policy web group staging (revision 2, .*web-2.tar.gz): sha256 check failed" <<<"$ERR" || fail "edited lock: $ERR"
cp "$work/market.before/policies/web-2.tar.gz"* "$work/market/policies/"
# A signature by a key nobody trusts.
run_roux keygen --out "$work/mallory"
cp "$work/market/universe.sig" "$work/universe.sig.good"
run_roux supermarket sign "$work/market/universe" --key "$work/mallory.key"
run_roux "${promote[@]}"
expect_rc 1 "promote over an index signed by an untrusted key"
grep -q "index signature check failed: .*which is not trusted" <<<"$ERR" || fail "untrusted signer: $ERR"
cp "$work/universe.sig.good" "$work/market/universe.sig"
diff -r "$work/market.before" "$work/market" >/dev/null || fail "a refused promotion changed the supermarket"

# The run lock: while another run holds it, promote refuses, naming the holder.
mkdir -p "$prom/var/lib/roux"
python3 - "$prom/var/lib/roux/run.lock" "$work/locked" <<'PY' &
import fcntl, os, sys, time
f = open(sys.argv[1], "a+")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(30)
PY
holder=$!
wait_until 20 test -s "$work/locked" || fail "the lock holder did not start"
run_roux "${promote[@]}"
kill "$holder"; wait "$holder" 2>/dev/null || true
expect_rc 1 "promote while another run holds the lock"
grep -q "(pid $holder) holds the run lock" <<<"$ERR" || fail "lock holder message: $ERR"
diff -r "$work/market.before" "$work/market" >/dev/null || fail "promote under a held lock changed the supermarket"

# Promote: the exact lock moves, signed; what moves is printed.
run_roux "${promote[@]}"
expect_rc 0 "promote staging to production"
cat >"$work/promote.want" <<TXT
promoted policy web from staging to production in supermarket $work/market
  lock      sha256:$stag_lock (revision 2)
  was       sha256:$prod_lock (revision 1)
TXT
diff "$work/promote.want" <(head -3 <<<"$OUT") || fail "promote output head"
grep -qE "^  signed    by key [0-9a-f]{16}$" <<<"$OUT" || fail "promote names the key: $OUT"
grep -q "^  cookbook  site 1.0.0 -> 1.1.0$" <<<"$OUT" || fail "promote names the cookbook that moves: $OUT"
grep -q "^  1 cookbook moved, 1 unchanged$" <<<"$OUT" || fail "promote counts: $OUT"
grep -q "^hosts of group production converge to this lock on their next run$" <<<"$OUT" || fail "promote tail: $OUT"
python3 - "$work/market/universe" "$stag_lock" <<'PY' || fail "the index after promotion"
import json, sys
p = json.load(open(sys.argv[1]))["_policies"]["web"]
assert p["groups"]["production"] == 2 and len(p["revisions"]) == 2, p
gl = p["group_locks"]["production"]
assert gl["lock_sha256"] == sys.argv[2] and gl["via"] == "promote from staging", gl
PY
run_roux "${promote[@]}"
expect_rc 0 "promote again"
grep -q "^group production of policy web already runs lock sha256:${stag_lock:0:12} (as staging does); nothing to do$" <<<"$OUT" ||
  fail "second promote: $OUT"

# The production host follows: staging's versions, staging's lock; staging is unchanged.
run_roux converge --root "$prod" --config "$prod_cfg" --format json
expect_rc 2 "production converges to the promoted lock"
[ "$(json_get "$OUT" 'j["policy_group"] + " " + j["lock_digest"]')" = "production $stag_lock" ] || fail "promoted report: $OUT"
[ "$(json_get "$OUT" '" ".join(sorted(c["name"] + "@" + c["version"] for c in j["cookbooks"]))')" = "base@1.0.0 site@1.1.0" ] ||
  fail "production cookbooks after promotion: $OUT"
[ "$(cat "$prod/srv/site/index.html")" = "<h1>staging</h1>" ] || fail "production content after promotion"
[ "$(cat "$prod/etc/site.version")" = "1.1.0" ] || fail "production's new file after promotion"
run_roux converge --root "$stag" --config "$stag_cfg" --format json
expect_rc 0 "staging: nothing to change"
run_roux policy status web --source "$URL" --trust "$work/team.pub"
grep -A6 "^  production$" <<<"$OUT" | grep -q "^    same lock as staging$" || fail "status after promotion: $OUT"
grep -A6 "^  production$" <<<"$OUT" | grep -qE "^    since     .*, promote from staging$" || fail "status via: $OUT"
echo "PASS: policy groups through a supermarket: two hosts on two locks, status, diff, refusals, promote"
