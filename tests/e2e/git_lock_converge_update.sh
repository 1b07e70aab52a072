# A git repository with cookbooks at several tagged versions: `roux lock` pins the newest that
# satisfy the policy (with their commits), converge applies exactly those, a second converge changes
# nothing, a new tag is ignored until `roux update NAME` picks it, and converge then applies it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git/fixture.sh"
work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/roux-e2e"
git_fixture "$work"
git_release "$work" base 1.0.0
git_release "$work" base 1.1.0
git_release "$work" base 2.0.0
git_release "$work" web 1.0.0 "base: ~> 1.0"
git_policy "$work" "web base" 'web: ">= 1.0"'

run_roux lock --policy "$work/policy" --root "$root"
expect_rc 0 "roux lock"
[ "$(lock_field "$work" base version)" = 1.1.0 ] || fail "lock chose base $(lock_field "$work" base version), want 1.1.0 (web needs ~> 1.0)"
[ "$(lock_field "$work" web version)" = 1.0.0 ] || fail "lock chose the wrong web"
want_commit=$(git -C "$work/src" rev-parse 'base-v1.1.0^{commit}')
[ "$(lock_field "$work" base commit)" = "$want_commit" ] || fail "lockfile does not pin base's commit $want_commit"
[ "$(lock_field "$work" base source)" = "git+file://$work/remote.git" ] || fail "lockfile source is wrong"
[ "$(lock_field "$work" base sha256 | wc -c)" = 65 ] || fail "lockfile lacks base's sha256"
if python3 -c 'import jsonschema' 2>/dev/null; then
  python3 - "$ROUX_SOURCE_DIR/schemas/lockfile.schema.json" "$work/policy/policy.lock.json" <<'PY' || fail "the lockfile does not follow schemas/lockfile.schema.json"
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
PY
fi
# Locking again changes nothing: same inputs, same bytes.
cp "$work/policy/policy.lock.json" "$work/lock.first"
run_roux lock --policy "$work/policy" --root "$root"
expect_rc 0 "roux lock, again"
cmp -s "$work/lock.first" "$work/policy/policy.lock.json" || fail "locking twice gave different lockfiles"

run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "first converge"
[ "$(cat "$root/etc/roux-e2e/base.txt")" = "base 1.1.0" ] || fail "converge did not apply base 1.1.0"
[ "$(cat "$root/etc/roux-e2e/web.txt")" = "web 1.0.0" ] || fail "converge did not apply web 1.0.0"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 0 "second converge (nothing to change)"

# A new release satisfying the constraint: the lockfile still pins 1.1.0.
git_release "$work" base 1.2.0
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 0 "converge with a new tag on the remote (lockfile pins the old one)"
[ "$(cat "$root/etc/roux-e2e/base.txt")" = "base 1.1.0" ] || fail "converge did not follow the lockfile"

lock_before=$(lock_field "$work" web sha256)
run_roux update base --policy "$work/policy" --root "$root"
expect_rc 0 "roux update base"
[ "$(lock_field "$work" base version)" = 1.2.0 ] || fail "roux update base did not pick 1.2.0"
[ "$(lock_field "$work" web sha256)" = "$lock_before" ] || fail "roux update base changed web"
[[ "$OUT" == *"base 1.2.0"*"(was 1.1.0)"* ]] || fail "update does not say what changed: $OUT"

run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "converge after update"
[ "$(cat "$root/etc/roux-e2e/base.txt")" = "base 1.2.0" ] || fail "converge did not apply base 1.2.0"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 0 "converge after update, again"

# update of a cookbook the lockfile does not have: exit 1, lockfile untouched.
cp "$work/policy/policy.lock.json" "$work/lock.before"
run_roux update nosuch --policy "$work/policy" --root "$root"
expect_rc 1 "update of an unknown cookbook"
[[ "$ERR" == *"cookbook nosuch is not in the lockfile"* ]] || fail "unclear message: $ERR"
cmp -s "$work/lock.before" "$work/policy/policy.lock.json" || fail "a failed update changed the lockfile"
echo "ok"
