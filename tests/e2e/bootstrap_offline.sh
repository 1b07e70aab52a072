#!/usr/bin/env bash
# Offline bootstrap: `roux bootstrap --fetch-only --root IMAGE` bakes the config, the key, the
# signed policy and its cookbooks into an image; with the supermarket stopped, bootstrap of that
# image converges from the cache (the policy's signature checked again), and so does a later
# converge. A copy altered in the image is refused. Without a baked cache and without the
# server, bootstrap cannot run (exit 1) and says what to do.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
bootstrap_market "$work"
image=$(e2e_tmpdir)
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$image" --fetch-only --format json
expect_rc 0 "bake the image"
[ "$(json_get "$OUT" 'j["cookbooks"]')" = 2 ] || fail "baked cookbooks: $OUT"
[ "$(json_get "$OUT" 'j["passes"]')" = "[]" ] || fail "--fetch-only converged: $OUT"
[ ! -e "$image/srv/site" ] || fail "--fetch-only changed the image beyond roux's own files"
[ -f "$image/etc/roux/client.yaml" ] && [ -f "$image/var/lib/roux/cache/policies/web/policy.tar.gz.sig" ] ||
  fail "the image holds the config and the signed policy"

# The server goes away (and so does this machine's record of it: a fresh host has none).
for p in "${_SM_PIDS[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
_SM_PIDS=()
XDG_CACHE_HOME=$(e2e_tmpdir)
export XDG_CACHE_HOME
cp -a "$image" "$work/image2"
t0=$(date +%s%N)
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$image" --format json
t1=$(date +%s%N)
expect_rc 2 "offline bootstrap from the baked cache"
echo "offline bootstrap: $(( (t1 - t0) / 1000000 )) ms"
[ "$(json_get "$OUT" 'j["policy"]["from_cache"]')" = True ] || fail "from_cache: $OUT"
[ "$(json_get "$OUT" 'j["policy"]["revision"]')" = 1 ] || fail "cached revision: $OUT"
[ "$(json_get "$OUT" 'j["settled"]')" = True ] || fail "settled: $OUT"
grep -q "unreachable\|Could not connect\|Couldn't connect\|connect" <<<"$ERR" || fail "no warning that the source is down: $ERR"
[ "$(cat "$image/srv/site/index.html")" = "<h1>rebuilt by roux</h1>" ] || fail "index.html offline"
[ "$(stat -c %a "$image/etc/site.conf")" = 640 ] || fail "site.conf offline"
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$image" --format json
expect_rc 0 "offline, second time: a no-op"

# A policy copy altered inside the image is refused (not the revision the signed index names),
# and so is an altered index copy, or a group the index does not have.
cp -a "$work/image2" "$work/image3"
flip_byte "$work/image2/var/lib/roux/cache/policies/web/policy.tar.gz" -5
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$work/image2"
expect_rc 1 "an altered cached policy"
grep -q "policy web (cached copy .*): sha256 check failed: it is not revision 1, which the cached index names for group default" <<<"$ERR" ||
  fail "altered cache refusal: $ERR"
[ ! -e "$work/image2/srv/site" ] || fail "the altered image was converged"
cp -a "$work/image3" "$work/image4"
sed -i 's/"default"/"defauLt"/' "$work/image3/var/lib/roux/cache/policies/web/universe"
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$work/image3"
expect_rc 1 "an altered cached index"
grep -q "the cached index of policy web .*signature does not match" <<<"$ERR" || fail "altered index refusal: $ERR"
run_roux bootstrap --source "$URL" --policy web --group staging --trust "$work/team.pub" --root "$work/image4" --force
expect_rc 1 "a group the cached index does not have"
grep -q "the cached index has no policy web in group staging" <<<"$ERR" || fail "offline group refusal: $ERR"
[ ! -e "$work/image3/srv/site" ] && [ ! -e "$work/image4/srv/site" ] || fail "a refused image was converged"

# No cache, no server: exit 1 with the way out.
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$(e2e_tmpdir)"
expect_rc 1 "no cache, no server"
grep -q "no copy of policy web was cached by an earlier fetch" <<<"$ERR" || fail "no-cache error: $ERR"
grep -q "bake the cache beforehand with \`roux bootstrap --fetch-only --root IMAGE\`" <<<"$OUT" || fail "next step: $OUT"
echo "PASS: an image baked with --fetch-only bootstraps with the supermarket stopped"
