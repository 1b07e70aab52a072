# A replayed older signed index (universe + universe.sig, both genuine) must not downgrade a
# cookbook: the index carries a signed serial that every publish bumps, a client remembers the
# highest serial it verified per supermarket URL (outside any --root tree), and refuses an older
# one, or one without a serial once it has seen one, exit 1, nothing applied. An index without a
# serial is still accepted by a client that never saw one (migration), and a mirror never moves
# back to an older upstream index.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish base 1.0.0"
python3 -c 'import json,sys; u=json.load(open(sys.argv[1])); assert u["_index"]["serial"] == 1, u["_index"]' \
  "$work/market/universe" || fail "the first publish did not write serial 1"
mkdir -p "$work/old"
cp "$work/market/universe" "$work/market/universe.sig" "$work/old/"
make_cookbook "$work/src" base 1.1.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish base 1.1.0"
python3 -c 'import json,sys; u=json.load(open(sys.argv[1])); assert u["_index"]["serial"] == 2, u["_index"]' \
  "$work/market/universe" || fail "the second publish did not bump the serial to 2"

start_server "$work/market" UP
url="http://127.0.0.1:$UP_PORT"
mkdir -p "$work/policy"
printf 'name: sm\nsources:\n  - %s\nrun_list:\n  - base\n' "$url" >"$work/policy/policy.yaml"
root="$work/root"
mkdir -p "$root/etc"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 2 "converge from the current index"
[ "$(cat "$root/etc/base.conf")" = "base 1.1.0" ] || fail "base 1.1.0 was not applied"

# The attacker (or a stale mirror) serves the older, genuinely signed index.
cp "$work/old/universe" "$work/old/universe.sig" "$work/market/"
touch "$work/market/universe"
before=$(tree_checksum "$root" var/lib/roux)
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 1 "converge from a replayed older index"
[[ "$ERR" == *"index rollback refused: the signed index has serial 1, older than serial 2 verified from this URL before"* ]] ||
  fail "the rollback was not refused clearly: $ERR"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a refused index changed the host"
[ "$(cat "$root/etc/base.conf")" = "base 1.1.0" ] || fail "base was downgraded"

# plan refuses it too (it would otherwise plan the downgrade).
run_roux plan --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 1 "plan from a replayed older index"
[[ "$ERR" == *"index rollback refused"* ]] || fail "plan did not refuse the rollback: $ERR"

# An index with no serial at all (as written before serials existed), re-signed: refused once a
# serial was seen for this URL.
python3 - "$work/old/universe" "$work/market/universe" <<'PY'
import json, sys
u = json.load(open(sys.argv[1]))
del u["_index"]
open(sys.argv[2], "w").write(json.dumps(u, indent=2, sort_keys=True) + "\n")
PY
run_roux supermarket sign "$work/market/universe" --key "$work/team.key"
expect_rc 0 "sign the serial-less index"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 1 "converge from a serial-less index after serial 2"
[[ "$ERR" == *"index rollback refused: the signed index has no serial, but serial 2 was verified"* ]] ||
  fail "the serial-less replay was not refused clearly: $ERR"

# Migration: a client that never saw a serial from this URL accepts a serial-less index.
fresh=$(e2e_tmpdir)
mkdir -p "$fresh/etc"
XDG_CACHE_HOME="$fresh/xdg" run_roux converge --policy "$work/policy" --root "$fresh" --trust "$work/team.pub"
expect_rc 2 "a fresh client and a serial-less index"
[ "$(cat "$fresh/etc/base.conf")" = "base 1.0.0" ] || fail "the serial-less index was not used by a fresh client"

# A mirror never moves back: it holds serial 2, upstream now serves serial 1.
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market2" --key "$work/team.key"
expect_rc 0 "publish base 1.0.0 to market2"
mkdir -p "$work/old2"
cp "$work/market2/universe" "$work/market2/universe.sig" "$work/old2/"
make_cookbook "$work/src" base 1.1.0
run_roux supermarket publish "$work/src/base" --to "$work/market2" --key "$work/team.key"
expect_rc 0 "publish base 1.1.0 to market2"
run_roux supermarket mirror --from "file://$work/market2" --to "$work/mirror" --trust "$work/team.pub"
expect_rc 0 "mirror the serial-2 supermarket"
cp "$work/old2/universe" "$work/old2/universe.sig" "$work/market2/"
run_roux supermarket mirror --from "file://$work/market2" --to "$work/mirror" --trust "$work/team.pub"
# Refused (the mirror's record of this upstream saw serial 2); the mirror keeps its copy: exit 3.
expect_rc 3 "mirror from an upstream serving an older index"
[[ "$ERR" == *"index rollback refused: the signed index has serial 1, older than serial 2 verified from this URL before"* ]] ||
  fail "the mirror did not refuse the older upstream index: $ERR"
[[ "$ERR" == *"keeps its last good copy (index serial 2, unchanged)"* ]] || fail "last good copy not said: $ERR"
python3 -c 'import json,sys; u=json.load(open(sys.argv[1])); assert u["_index"]["serial"] == 2' "$work/mirror/universe" ||
  fail "the mirror's index moved back"
# The same older index from another upstream URL (no record of it): the mirror's own serial refuses it.
mkdir -p "$work/market3"
cp "$work/market2/"* "$work/market3/"
run_roux supermarket mirror --from "file://$work/market3" --to "$work/mirror" --trust "$work/team.pub"
expect_rc 3 "mirror from another upstream serving an older index"
[[ "$ERR" == *"index rollback refused: upstream serves serial 1, older than the mirror's serial 2"* ]] ||
  fail "the mirror did not refuse the older index of another upstream: $ERR"
python3 -c 'import json,sys; u=json.load(open(sys.argv[1])); assert u["_index"]["serial"] == 2' "$work/mirror/universe" ||
  fail "the mirror's index moved back"
echo "ok"
