# The git remote moved away: a converge with a lockfile proceeds from the cache with a warning and
# exits per its changes; with the cache emptied too it exits 1 with a clear message and changes
# nothing on the host.
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
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "first converge"

mv "$work/remote.git" "$work/moved.git"
rm "$root/etc/roux-e2e/base.txt"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "converge with the remote gone (from the cache)"
[[ "$ERR" == *"warn"*"remote.git"* ]] || fail "no warning about the unreachable remote: $ERR"
[ "$(cat "$root/etc/roux-e2e/base.txt")" = "base 1.0.0" ] || fail "converge from the cache did not apply base"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 0 "second converge with the remote gone"

rm -rf "$root/var/lib/roux/cache"
rm "$root/etc/roux-e2e/base.txt"
before=$(tree_checksum "$root" var/lib/roux)
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 1 "converge with no remote and no cache"
[[ "$ERR" == *"cookbook base 1.0.0 (sha256 "*") is not in the cache"*"cannot provide it"* ]] ||
  fail "unclear message when the cache lacks a pinned cookbook: $ERR"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a failed converge changed the host"
[ ! -e "$root/etc/roux-e2e/base.txt" ] || fail "a failed converge applied something"
echo "ok"
