#!/usr/bin/env bash
# Publish three cookbooks with dependencies into a supermarket folder, serve it over HTTP on
# 127.0.0.1, converge a policy from it into a --root; mirror it into a second folder served on
# another port and converge from the mirror; a second run sends a conditional request for the
# unchanged index and gets 304; the mirror is incremental and can itself be mirrored.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"

# base 1.0.0 and 1.1.0; web needs base ~> 1.0; app needs web and base < 1.1 (so base 1.0.0 wins).
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish base 1.0.0"
make_cookbook "$work/src" base 1.1.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish base 1.1.0"
make_cookbook "$work/src" web 2.0.0 base "~> 1.0"
run_roux supermarket publish "$work/src/web" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish web"
make_cookbook "$work/src" app 0.3.0 web ">= 2.0, < 3" base "< 1.1"
run_roux supermarket publish "$work/src/app" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish app"

start_server "$work/market" UP
url="http://127.0.0.1:$UP_PORT"

run_roux supermarket search web --from "$url" --trust "$work/team.pub"
expect_rc 0 "search"
grep -q "^web 2.0.0 (1 version)" <<<"$OUT" || fail "search web: $OUT"
run_roux supermarket show base --from "$url" --trust "$work/team.pub"
expect_rc 0 "show"
grep -q "1.1.0" <<<"$OUT" && grep -q "1.0.0" <<<"$OUT" || fail "show base lists both versions: $OUT"

mkdir -p "$work/policy"
printf 'name: sm\nsources:\n  - %s\nrun_list:\n  - app\n' "$url" >"$work/policy/policy.yaml"
root=$(e2e_tmpdir)
mkdir -p "$root/etc"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub" --format json
expect_rc 2 "converge from the HTTP supermarket"
[ "$(cat "$root/etc/app.conf")" = "app 0.3.0" ] || fail "app.conf"
[ ! -e "$root/etc/base.conf" ] || fail "base's recipe is not in the run list"
python3 - "$OUT" <<'PY' || fail "resolved versions: $OUT"
import json, sys
got = {c["name"]: c["version"] for c in json.loads(sys.argv[1])["cookbooks"]}
assert got == {"app": "0.3.0", "web": "2.0.0", "base": "1.0.0"}, got
PY
ls "$root/var/lib/roux/cache/cookbooks" | wc -l | grep -qx 3 || fail "3 cookbooks in the content-addressed cache"

# Second run: the index is unchanged, so one conditional request answered 304, and no tarball
# is downloaded again (the cache is warm).
: >"$UP_LOG"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 0 "second converge: nothing to change"
grep -q '^GET /universe 304 inm="' "$UP_LOG" || fail "no conditional 304 for the index: $(cat "$UP_LOG")"
[ "$(wc -l <"$UP_LOG")" = 1 ] || fail "second run should make exactly one request: $(cat "$UP_LOG")"

# Mirror into a second folder, serve it on another port, converge from the mirror.
run_roux supermarket mirror --from "$url" --to "$work/mirror" --trust "$work/team.pub"
expect_rc 0 "mirror"
grep -q "4 versions copied, 0 already present" <<<"$OUT" || fail "mirror counts: $OUT"
run_roux supermarket mirror --from "$url" --to "$work/mirror" --trust "$work/team.pub"
expect_rc 0 "mirror again"
grep -q "0 versions copied, 4 already present" <<<"$OUT" || fail "incremental mirror: $OUT"
make_cookbook "$work/src" web 2.1.0 base "~> 1.0"
run_roux supermarket publish "$work/src/web" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish web 2.1.0"
: >"$UP_LOG"
run_roux supermarket mirror --from "$url" --to "$work/mirror" --trust "$work/team.pub"
expect_rc 0 "mirror the new version"
grep -q "1 version copied, 4 already present" <<<"$OUT" || fail "only the new version: $OUT"
grep -c '\.tar\.gz ' "$UP_LOG" | grep -qx 1 || fail "one tarball downloaded: $(cat "$UP_LOG")"
cmp "$work/market/universe" "$work/mirror/universe" || fail "mirror index = upstream index"

start_server "$work/mirror" MIR
printf 'name: sm\nsources:\n  - http://127.0.0.1:%s/\nrun_list:\n  - app\n' "$MIR_PORT" >"$work/policy/policy.yaml"
root2=$(e2e_tmpdir)
mkdir -p "$root2/etc"
run_roux converge --policy "$work/policy" --root "$root2" --trust "$work/team.pub" --format json
expect_rc 2 "converge from the mirror"
[ "$(cat "$root2/etc/app.conf")" = "app 0.3.0" ] || fail "app.conf from the mirror"
python3 - "$OUT" <<'PY' || fail "resolved from mirror: $OUT"
import json, sys
got = {c["name"]: c["version"] for c in json.loads(sys.argv[1])["cookbooks"]}
assert got == {"app": "0.3.0", "web": "2.1.0", "base": "1.0.0"}, got
PY
grep -q "GET /web-2.1.0.tar.gz 200" "$MIR_LOG" || fail "tarball served by the mirror: $(cat "$MIR_LOG")"

# A mirror of the mirror, over file://, converges the same.
run_roux supermarket mirror --from "http://127.0.0.1:$MIR_PORT" --to "$work/mirror2" --trust "$work/team.pub"
expect_rc 0 "mirror of a mirror"
printf 'name: sm\nsources:\n  - file://%s\nrun_list:\n  - app\n' "$work/mirror2" >"$work/policy/policy.yaml"
root3=$(e2e_tmpdir)
mkdir -p "$root3/etc"
run_roux converge --policy "$work/policy" --root "$root3" --trust "$work/team.pub"
expect_rc 2 "converge from the mirror's mirror (file://)"
[ "$(cat "$root3/etc/web.conf" 2>/dev/null || true)" = "" ] || fail "web's recipe is not in the run list"
[ "$(cat "$root3/etc/app.conf")" = "app 0.3.0" ] || fail "app.conf from the mirror's mirror"

# Upstream gone: the first root converges from its verified cached index and cache, with a warning.
kill "${_SM_PIDS[0]}"
wait "${_SM_PIDS[0]}" 2>/dev/null || true
printf 'name: sm\nsources:\n  - %s\nrun_list:\n  - app\ncookbooks:\n  web: "= 2.0.0"\n' "$url" >"$work/policy/policy.yaml"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 0 "converge with the supermarket unreachable"
grep -q "unreachable" <<<"$ERR" || fail "no warning about the unreachable supermarket: $ERR"
echo "ok"
