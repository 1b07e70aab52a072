# A signed index past its expiry is refused (a frozen mirror cannot keep serving an old world
# forever): exit 1, the message says when it expired and how to re-sign it; `roux supermarket
# refresh` re-signs it with serial + 1 and a new expiry, and the next run proceeds. `publish
# --expires-days` sets the expiry; a malformed _index is refused before anything is used.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key" --expires-days 7
expect_rc 0 "publish base 1.0.0"
python3 - "$work/market/universe" <<'PY' || fail "publish --expires-days 7 did not set the expiry 7 days ahead"
import json, sys, datetime
u = json.load(open(sys.argv[1]))
exp = datetime.datetime.strptime(u["_index"]["expires"], "%Y-%m-%dT%H:%M:%SZ")
days = (exp - datetime.datetime.utcnow()).total_seconds() / 86400
assert 6.9 < days < 7.1, days
PY

# The publisher's index went stale: serial 2, expired long ago, genuinely signed.
sm_index_edit "$work/market" 'u["_index"] = {"serial": 2, "expires": "2020-01-01T00:00:00Z"}'
run_roux supermarket sign "$work/market/universe" --key "$work/team.key"
expect_rc 0 "sign the expired index"

start_server "$work/market" UP
mkdir -p "$work/policy" "$work/root/etc"
printf 'name: sm\nsources:\n  - http://127.0.0.1:%s\nrun_list:\n  - base\n' "$UP_PORT" >"$work/policy/policy.yaml"
run_roux converge --policy "$work/policy" --root "$work/root" --trust "$work/team.pub"
expect_rc 1 "converge from an expired index"
[[ "$ERR" == *"index expired on 2020-01-01T00:00:00Z (serial 2)"*"roux supermarket refresh --to DIR --key KEY"* ]] ||
  fail "the expired index was not refused clearly: $ERR"
[ ! -e "$work/root/etc/base.conf" ] || fail "an expired index was used"

# search and show refuse it too.
run_roux supermarket show base --from "http://127.0.0.1:$UP_PORT" --trust "$work/team.pub"
expect_rc 1 "show from an expired index"
[[ "$ERR" == *"index expired"* ]] || fail "show did not refuse the expired index: $ERR"

# The publisher re-signs: serial 3, a fresh expiry.
run_roux supermarket refresh --to "$work/market" --key "$work/team.key"
expect_rc 0 "refresh"
[[ "$OUT" == *"serial 3, expires "* ]] || fail "refresh did not say the new serial: $OUT"
run_roux converge --policy "$work/policy" --root "$work/root" --trust "$work/team.pub"
expect_rc 2 "converge after the refresh"
[ "$(cat "$work/root/etc/base.conf")" = "base 1.0.0" ] || fail "base was not applied after the refresh"

# A malformed _index (no expiry) is refused like any malformed index.
sm_index_edit "$work/market" 'u["_index"] = {"serial": 4}'
run_roux supermarket sign "$work/market/universe" --key "$work/team.key"
run_roux converge --policy "$work/policy" --root "$work/root" --trust "$work/team.pub"
expect_rc 1 "converge from an index without an expiry"
[[ "$ERR" == *'_index: "expires" must be a UTC time'* ]] || fail "unclear error for a malformed _index: $ERR"
echo "ok"
