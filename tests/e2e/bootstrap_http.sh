#!/usr/bin/env bash
# roux bootstrap on a blank --root tree against a supermarket served over HTTP on 127.0.0.1:
# publish cookbooks and a signed policy, bootstrap, check the converged tree by reading its files
# (not through roux), then: a second converge (from the config bootstrap wrote) is a no-op; the
# same bootstrap again is fine (identical config kept); a different config is refused (nothing
# changed) unless --force; a group selects the revision; a policy name or group that is not
# published is refused with the names that are.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
bootstrap_market "$work"
grep -q "^published policy web revision 1 to $work/market/policies/web-1.tar.gz (2 locked cookbooks)" <<<"$OUT" ||
  fail "publish-policy output: $OUT"
grep -q "^group default -> revision 1" <<<"$OUT" || fail "publish-policy group: $OUT"
python3 - "$work/market/universe" <<'PY' || fail "the index lists the policy"
import json, sys
u = json.load(open(sys.argv[1]))
p = u["_policies"]["web"]
assert p["groups"] == {"default": 1}, p
assert p["revisions"]["1"]["download_url"] == "policies/web-1.tar.gz", p
assert u["_index"]["serial"] == 3, u["_index"]   # two cookbooks, then the policy
PY
[ -s "$work/market/policies/web-1.tar.gz.sig" ] || fail "the policy tarball is signed"
# The tarball holds exactly the two files.
[ "$(tar -tzf "$work/market/policies/web-1.tar.gz" | sort | tr '\n' ' ')" = "policy.lock.json policy.yaml " ] ||
  fail "policy tarball content: $(tar -tzf "$work/market/policies/web-1.tar.gz")"
# Publishing the same content again: nothing to do, the index is not re-signed.
cp "$work/market/universe" "$work/universe.before"
run_roux supermarket publish-policy "$work/policy" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish-policy again"
grep -q "already has this content" <<<"$OUT" && grep -q "already at revision 1; nothing to do" <<<"$OUT" ||
  fail "republish: $OUT"
cmp -s "$work/universe.before" "$work/market/universe" || fail "an identical republish re-signed the index"

# Blank host: an empty folder.
root=$(e2e_tmpdir)
t0=$(date +%s%N)
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$root" --format json
t1=$(date +%s%N)
expect_rc 2 "bootstrap a blank root"
echo "blank root -> converged: $(( (t1 - t0) / 1000000 )) ms"
python3 - "$OUT" <<'PY' || fail "bootstrap JSON summary: $OUT"
import json, sys
j = json.loads(sys.argv[1])
assert j["exit_code"] == 2 and j["settled"] is True, j
assert j["policy"]["name"] == "web" and j["policy"]["group"] == "default" and j["policy"]["revision"] == 1, j["policy"]
assert j["config"]["action"] == "written", j["config"]
assert j["cookbooks"] == 2 and j["resources"] == 5, j
assert j["resources_by_type"] == {"directory": 1, "file": 3, "link": 1}, j["resources_by_type"]
p = j["passes"]
assert len(p) == 2, p
assert p[0]["exit_code"] == 2 and len(p[0]["changed"]) == 5, p[0]
assert p[1]["exit_code"] == 0 and p[1]["changed"] == [], p[1]
assert [v["status"] for v in j["verify"]] == ["passed"], j["verify"]
PY

# The converged state, read directly.
[ "$(cat "$root/srv/site/index.html")" = "<h1>rebuilt by roux</h1>" ] || fail "index.html"
[ "$(stat -c %a "$root/etc/site.conf")" = 640 ] || fail "site.conf mode $(stat -c %a "$root/etc/site.conf")"
[ "$(readlink "$root/etc/site.link")" = /srv/site/index.html ] || fail "site.link"
[ "$(cat "$root/etc/base.conf")" = "base 1.0.0" ] || fail "base.conf"
cmp -s "$work/team.pub" "$root/etc/roux/trusted/team.pub" || fail "the key is copied under /etc/roux/trusted"
cat >"$work/want.yaml" <<YAML
# Written by \`roux bootstrap\`. roux converge runs the published policy below: fetched from
# the first source on every run, verified against the trusted keys (docs/bootstrap.md).
sources:
  - $URL
policy_name: web
trusted_keys:
  - /etc/roux/trusted/team.pub
YAML
diff "$work/want.yaml" "$root/etc/roux/client.yaml" || fail "client.yaml"
[ -f "$root/var/lib/roux/cache/policies/web/policy/policy.yaml" ] && [ -f "$root/var/lib/roux/cache/policies/web/policy/policy.lock.json" ] ||
  fail "the policy is installed under the state folder"
cmp -s "$work/policy/policy.lock.json" "$root/var/lib/roux/cache/policies/web/policy/policy.lock.json" || fail "the installed lockfile"

# A second converge from the written config (its key path is the host's, so --trust names the
# copy in the tree) is a no-op, and so is the same bootstrap again.
sum=$(tree_checksum "$root" var/lib/roux)
sed "s|/etc/roux/trusted/team.pub|$root/etc/roux/trusted/team.pub|" "$root/etc/roux/client.yaml" >"$work/host.yaml"
run_roux converge --root "$root" --config "$work/host.yaml" --format json
expect_rc 0 "second converge from the config bootstrap wrote"
[ "$(json_get "$OUT" 'j["totals"]["changed"]')" = 0 ] || fail "second converge changed something"
# plan of a published policy: fetches it into the cache, writes nothing else.
sum_all=$(tree_checksum "$root" var/lib/roux/cache)
run_roux plan --root "$root" --config "$work/host.yaml" --format json
expect_rc 0 "plan of the published policy"
[ "$(tree_checksum "$root" var/lib/roux/cache)" = "$sum_all" ] || fail "plan wrote outside the cache"
run_roux fetch --root "$root" --config "$work/host.yaml"
expect_rc 0 "roux fetch of the published policy"
grep -q "^policy web revision 1 (group default): verified" <<<"$OUT" || fail "fetch of a published policy: $OUT"
grep -q "^fetched 2 cookbooks pinned by $root/var/lib/roux/cache/policies/web/policy/policy.lock.json" <<<"$OUT" ||
  fail "fetch of the published policy's cookbooks: $OUT"
run_roux lock --root "$root" --config "$work/host.yaml"
expect_rc 1 "roux lock of a published policy"
grep -q "runs the published policy web: its publisher locks it" <<<"$ERR" || fail "lock of a published policy: $ERR"
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$root"
expect_rc 0 "the same bootstrap again"
grep -q "^  config    $root/etc/roux/client.yaml kept (already the same)" <<<"$OUT" || fail "kept config: $OUT"
grep -q "^  pass 1 .*0 changed, 0 failed: nothing left to change" <<<"$OUT" || fail "pass 1 no-op: $OUT"
grep -q "^  verify    1 of 1 check passed" <<<"$OUT" || fail "verify line: $OUT"
grep -q "^  result    converged in 1 pass, .* (exit 0)" <<<"$OUT" || fail "result line: $OUT"
[ "$(tree_checksum "$root" var/lib/roux)" = "$sum" ] || fail "a no-op bootstrap changed the tree"

# Bootstrap takes the run lock, as converge does: while another process holds it, exit 1 naming it.
python3 - "$root/var/lib/roux/run.lock" "$work/locked" <<'PY' &
import fcntl, os, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(30)
PY
holder=$!
for i in $(seq 1 100); do [ -s "$work/locked" ] && break; sleep 0.05; done
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$root"
kill "$holder"; wait "$holder" 2>/dev/null || true
expect_rc 1 "bootstrap while another run holds the lock"
grep -q "(pid $holder) holds the run lock" <<<"$ERR" || fail "lock message: $ERR"
grep -q "^  next      wait for the other roux run to finish" <<<"$OUT" || fail "lock next step: $OUT"

# A different config is refused, nothing changed; --force replaces it.
cp "$root/etc/roux/client.yaml" "$work/client.before"
run_roux bootstrap --source "$URL" --policy db --trust "$work/team.pub" --root "$root"
expect_rc 1 "bootstrap with another policy over an existing config"
grep -q "$root/etc/roux/client.yaml exists and differs from what bootstrap would write:" <<<"$ERR" || fail "refusal: $ERR"
grep -q 'policy_name: it has "web", bootstrap would write "db"' <<<"$ERR" || fail "refusal names the key: $ERR"
grep -q "pass --force" <<<"$ERR" || fail "refusal says --force: $ERR"
cmp -s "$work/client.before" "$root/etc/roux/client.yaml" || fail "a refused bootstrap changed client.yaml"
run_roux bootstrap --source "$URL" --policy db --trust "$work/team.pub" --root "$root" --force
expect_rc 1 "--force with an unpublished policy: the config is replaced, the policy is not found"
grep -q "no published policy db (published: web)" <<<"$ERR" || fail "unknown policy: $ERR"
grep -q "policy_name: db" "$root/etc/roux/client.yaml" || fail "--force replaced the config"

# Groups: staging gets revision 2 (another motd); the default group stays at revision 1.
sed -i 's|<h1>rebuilt by roux</h1>|<h1>staging</h1>|' "$work/src/site/recipes/default.yaml"
sed -i 's/^version: 1.0.0/version: 1.1.0/' "$work/src/site/metadata.yaml"
run_roux supermarket publish "$work/src/site" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish site 1.1.0"
run_roux update site --policy "$work/policy" --trust "$work/team.pub" --root "$(e2e_tmpdir)"
expect_rc 0 "update the lockfile"
run_roux supermarket publish-policy "$work/policy" --to "$work/market" --key "$work/team.key" --group staging
expect_rc 0 "publish-policy --group staging"
grep -q "^published policy web revision 2" <<<"$OUT" && grep -q "^group staging -> revision 2" <<<"$OUT" ||
  fail "staging publish: $OUT"
root2=$(e2e_tmpdir)
run_roux bootstrap --source "$URL" --policy web --group staging --trust "$work/team.pub" --root "$root2" --format json
expect_rc 2 "bootstrap the staging group"
[ "$(json_get "$OUT" 'j["policy"]["revision"]')" = 2 ] || fail "staging revision: $OUT"
[ "$(cat "$root2/srv/site/index.html")" = "<h1>staging</h1>" ] || fail "staging content"
grep -q "^policy_group: staging$" "$root2/etc/roux/client.yaml" || fail "policy_group in the config"
# The plan of a host in a group names the group in its header and its JSON report.
sed "s|/etc/roux/trusted/team.pub|$root2/etc/roux/trusted/team.pub|" "$root2/etc/roux/client.yaml" >"$work/host2.yaml"
run_roux plan --root "$root2" --config "$work/host2.yaml"
expect_rc 0 "plan of the staging host"
grep -q "^roux plan: policy web, group staging, lock sha256:" <<<"$OUT" || fail "plan header names the group: $OUT"
run_roux plan --root "$root2" --config "$work/host2.yaml" --format json
[ "$(json_get "$OUT" 'j["policy_group"]')" = staging ] || fail "policy_group in the JSON report: $OUT"
run_roux bootstrap --source "$URL" --policy web --group production --trust "$work/team.pub" --root "$(e2e_tmpdir)"
expect_rc 1 "an unknown group"
grep -q "policy web has no group production (groups: default, staging)" <<<"$ERR" || fail "unknown group: $ERR"
# Promote: the same content to the default group reuses revision 2.
run_roux supermarket publish-policy "$work/policy" --to "$work/market" --key "$work/team.key"
expect_rc 0 "promote to default"
grep -q "revision 2 already has this content" <<<"$OUT" && grep -q "^group default -> revision 2" <<<"$OUT" ||
  fail "promote: $OUT"
# The host of the default group follows it on its next converge (the config names the group,
# not a revision).
run_roux converge --root "$root" --config "$work/host.yaml" --format json
expect_rc 2 "the default host follows its group to revision 2"
[ "$(cat "$root/srv/site/index.html")" = "<h1>staging</h1>" ] || fail "the host did not follow the group"

# A mirror copies the policy tarballs too (verified), and a host bootstraps from the mirror: its
# lockfile names the upstream URL, so the cookbooks come from there (both are up).
run_roux supermarket mirror --from "$URL" --to "$work/mirror" --trust "$work/team.pub"
expect_rc 0 "mirror a supermarket with policies"
cmp -s "$work/market/policies/web-2.tar.gz" "$work/mirror/policies/web-2.tar.gz" || fail "mirrored policy tarball"
cmp -s "$work/market/universe" "$work/mirror/universe" || fail "mirror index"
start_server "$work/mirror" MIR
root3=$(e2e_tmpdir)
run_roux bootstrap --source "http://127.0.0.1:$MIR_PORT" --policy web --group staging --trust "$work/team.pub" --root "$root3"
expect_rc 2 "bootstrap from the mirror"
[ "$(cat "$root3/srv/site/index.html")" = "<h1>staging</h1>" ] || fail "content from the mirror"

# The index with two revisions and two groups matches its schema.
if /usr/bin/python3 -c "import jsonschema" 2>/dev/null; then
  /usr/bin/python3 - "$ROUX_SOURCE_DIR/schemas/supermarket_index.schema.json" "$work/market/universe" <<'PY' ||
import json, sys, jsonschema
u = json.load(open(sys.argv[2]))
assert set(u["_policies"]["web"]["revisions"]) == {"1", "2"}, u["_policies"]
jsonschema.validate(u, json.load(open(sys.argv[1])))
PY
    fail "the index with policies does not match schemas/supermarket_index.schema.json"
fi

# A policy whose lockfile pins a cookbook the supermarket does not have is not published.
mkdir -p "$work/other"
printf 'name: other\nsources:\n  - %s/cookbooks\nrun_list:\n  - extra\n' "$work" >"$work/other/policy.yaml"
write_cookbook "$work" extra <<<'resources: []'
run_roux lock --policy "$work/other"
expect_rc 0 "lock other against a folder"
run_roux supermarket publish-policy "$work/other" --to "$work/market" --key "$work/team.key"
expect_rc 1 "a policy with unpublished cookbooks"
grep -q "the lockfile pins cookbook extra 1.0.0 (from dir:$work/cookbooks), which is not published in $work/market; publish it first" <<<"$ERR" ||
  fail "unpublished cookbook: $ERR"
echo "PASS: bootstrap over HTTP: blank root converged and checked, no-op second run, config refusal, groups"
