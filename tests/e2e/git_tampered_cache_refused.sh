# A cookbook in the content-addressed cache altered after it was fetched (its digest no longer
# matches the lockfile's sha256) is refused: exit 1, the message names the check, nothing applied.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git/fixture.sh"
work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/roux-e2e"
git_fixture "$work"
git_release "$work" base 1.0.0
git_policy "$work" base

run_roux lock --policy "$work/policy" --root "$root"
expect_rc 0 "roux lock"
digest=$(lock_field "$work" base sha256)
cached="$root/var/lib/roux/cache/cookbooks/$digest"
[ -f "$cached/recipes/default.yaml" ] || fail "the locked cookbook is not in the cache at $cached"

sed -i 's/base 1.0.0/owned by mallory/' "$cached/recipes/default.yaml"
before=$(tree_checksum "$root" var/lib/roux)
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 1 "converge with a tampered cache"
[[ "$ERR" == *"cookbook base 1.0.0 in $cached: content sha256 "*" does not match the lockfile's $digest; refusing it"* ]] ||
  fail "unclear tamper message: $ERR"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a refused converge changed the host"

# A changed mode (exec bit) is content too.
sed -i 's/owned by mallory/base 1.0.0/' "$cached/recipes/default.yaml"
chmod +x "$cached/recipes/default.yaml"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 1 "converge with a mode-tampered cache"
[[ "$ERR" == *"does not match the lockfile's"* ]] || fail "mode change in the cache not detected: $ERR"
chmod -x "$cached/recipes/default.yaml"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "converge once the cache content is restored"
echo "ok"
