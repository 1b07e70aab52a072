# An unchanged git remote costs one negotiation and downloads no objects: `roux fetch` (and
# converge) against it receive 0 objects (libgit2 transfer stats) and the bare clone in the cache
# gains no object or pack file; a new tag then downloads only what is new.
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
[[ "$OUT" =~ remote.git:\ fetched\ [1-9][0-9]*\ objects ]] || fail "first lock should clone objects: $OUT"
clone=$(find "$root/var/lib/roux/cache/git" -maxdepth 1 -name '*.git' | head -1)
[ -d "$clone/objects" ] || fail "no bare clone in the cache"
objects_before=$(find "$clone/objects" -type f | LC_ALL=C sort | sha256sum)

run_roux fetch --policy "$work/policy" --root "$root"
expect_rc 0 "roux fetch (unchanged remote)"
[[ "$OUT" == *"remote.git: fetched 0 objects (0 bytes)"* ]] || fail "fetch downloaded objects from an unchanged remote: $OUT"
[ "$(find "$clone/objects" -type f | LC_ALL=C sort | sha256sum)" = "$objects_before" ] ||
  fail "the clone gained objects from an unchanged remote"

run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "converge"
[ "$(find "$clone/objects" -type f | LC_ALL=C sort | sha256sum)" = "$objects_before" ] ||
  fail "converge downloaded objects from an unchanged remote"

git_release "$work" base 1.1.0
run_roux update --all --policy "$work/policy" --root "$root"
expect_rc 0 "roux update after a new tag"
[[ "$OUT" =~ remote.git:\ fetched\ [1-9][0-9]*\ objects ]] || fail "the new tag's objects were not fetched: $OUT"
[ "$(lock_field "$work" base version)" = 1.1.0 ] || fail "update did not pick the new tag"
echo "ok"
