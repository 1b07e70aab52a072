# --root never makes roux write outside the root. Symlinks planted in the tree are resolved inside
# it, as for managed files (openat2 RESOLVE_IN_ROOT), for roux's own files too:
# - ROOT/var -> ../outside/var: the state folder, the run lock and last_run.json land in
#   ROOT/outside/var/lib/roux, not in the real ../outside;
# - ROOT/var/lib/roux/cache -> /ABSOLUTE/somewhere: unpacked cookbooks land in ROOT/ABSOLUTE/..., and
#   the real folder stays empty.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed"

work=$(e2e_tmpdir)
root="$work/root"
# Both sides exist, as an image made to trap roux would have them: ROOT/outside/var/lib/roux (where
# the link leads inside the root) and ../outside/var/lib/roux (where a plain path would lead).
mkdir -p "$root/etc" "$root/outside/var/lib/roux" "$work/outside/var/lib/roux"
ln -s ../outside/var "$root/var"

write_policy "$work" app <<'YAML'
resources:
  - file: /etc/app.conf
    content: "app\n"
YAML
before=$(tree_checksum "$work/outside")
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge with ROOT/var -> ../outside/var"
[ "$(tree_checksum "$work/outside")" = "$before" ] || fail "roux wrote outside the root: $(find "$work/outside")"
[ -e "$root/outside/var/lib/roux/run.lock" ] || fail "the run lock is not in the root's resolved state folder"
[ -e "$root/outside/var/lib/roux/last_run.json" ] || fail "last_run.json is not in the root's resolved state folder"
run_roux plan --policy "$work" --root "$root"
expect_rc 0 "plan with ROOT/var -> ../outside/var"
[ "$(tree_checksum "$work/outside")" = "$before" ] || fail "plan wrote outside the root"

# The cache: a symlink to an absolute path outside the tree.
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish base"
root2="$work/root2"
mkdir -p "$root2/etc" "$root2/var/lib/roux" "$work/somewhere" "$root2/$work/somewhere"
ln -s "$work/somewhere" "$root2/var/lib/roux/cache"
mkdir -p "$work/policy"
printf 'name: sm\nsources:\n  - file://%s/market\nrun_list:\n  - base\n' "$work" >"$work/policy/policy.yaml"
run_roux converge --policy "$work/policy" --root "$root2" --trust "$work/team.pub"
expect_rc 2 "converge with the cache linked outside the root"
[ -z "$(ls -A "$work/somewhere")" ] || fail "cookbooks were unpacked outside the root: $(find "$work/somewhere")"
[ -d "$root2/$work/somewhere/cookbooks" ] || fail "the cache is not inside the root: $(find "$root2" -maxdepth 6)"
[ "$(cat "$root2/etc/base.conf")" = "base 1.0.0" ] || fail "base was not applied"
run_roux lock --policy "$work/policy" --root "$root2" --trust "$work/team.pub"
expect_rc 0 "roux lock with the cache linked outside the root"
run_roux fetch --policy "$work/policy" --root "$root2" --trust "$work/team.pub"
expect_rc 0 "roux fetch with the cache linked outside the root"
[ -z "$(ls -A "$work/somewhere")" ] || fail "lock/fetch wrote outside the root: $(find "$work/somewhere")"
# A link whose target does not exist inside the root is refused, not followed out of it.
root3="$work/root3"
mkdir -p "$root3/etc" "$root3/var/lib/roux"
ln -s "$work/somewhere" "$root3/var/lib/roux/cache"
run_roux converge --policy "$work/policy" --root "$root3" --trust "$work/team.pub"
expect_rc 1 "converge with the cache linked to a folder missing in the root"
[[ "$ERR" == *"a symlink to a folder missing inside the root"* ]] || fail "unclear refusal: $ERR"
[ -z "$(ls -A "$work/somewhere")" ] || fail "cookbooks were unpacked outside the root: $(find "$work/somewhere")"
echo "ok"
