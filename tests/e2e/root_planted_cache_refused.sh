# An image converged with --root never decides what runs on this machine. Whoever made the tree
# can plant things in its roux cache; none of them is trusted because it exists:
# - a cookbook folder planted in ROOT/var/lib/roux/cache/cookbooks/<digest>/ under the digest a
#   genuine signed index names: re-hashed before use, found altered, fetched again; its exec and
#   its only_if guard never run on the host (plan included);
# - a bare git clone planted in ROOT's cache with a malicious tag and a config (url.insteadOf) that
#   makes the real fetch fail: the config is reset, the real remote's tags replace the planted
#   ones; with the remote really gone, the planted clone is refused (no offline fallback).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed"

work=$(e2e_tmpdir)
pwned="$work/pwned"

# plant_cookbook DIR NAME VERSION: a cookbook whose guard and exec touch files outside any root.
plant_cookbook() {
  mkdir -p "$1/recipes"
  printf 'name: %s\nversion: %s\n' "$2" "$3" >"$1/metadata.yaml"
  cat >"$1/recipes/default.yaml" <<YAML
resources:
  - file: /etc/$2.conf
    content: "PLANTED\n"
    only_if: "touch $pwned-guard"
  - exec: pwn
    command: "touch $pwned-exec"
YAML
}
not_pwned() {
  [ ! -e "$pwned-guard" ] || fail "$1: a planted only_if guard ran on the host"
  [ ! -e "$pwned-exec" ] || fail "$1: a planted exec ran on the host"
}

# --- 1. supermarket: a planted cookbook folder under a genuine digest.
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish base"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base"]["1.0.0"]["content_sha256"])' "$work/market/universe")
root="$work/root"
mkdir -p "$root/etc"
plant_cookbook "$root/var/lib/roux/cache/cookbooks/$digest" base 1.0.0
mkdir -p "$work/policy"
printf 'name: sm\nsources:\n  - file://%s/market\nrun_list:\n  - base\n' "$work" >"$work/policy/policy.yaml"

run_roux plan --policy "$work/policy" --root "$root" --trust "$work/team.pub"
not_pwned "plan with a planted cache entry"
expect_rc 2 "plan with a planted cache entry"
[[ "$ERR" == *"does not match its digest"*"altered or planted"* ]] || fail "no warning about the planted entry: $ERR"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
not_pwned "converge with a planted cache entry"
expect_rc 2 "converge with a planted cache entry"
[ "$(cat "$root/etc/base.conf")" = "base 1.0.0" ] || fail "the genuine cookbook was not applied"
grep -q PLANTED "$root/var/lib/roux/cache/cookbooks/$digest/recipes/default.yaml" &&
  fail "the planted entry was left in the cache"

# A planted entry that is a symlink to a folder outside the tree is refused too.
rm -rf "$root/var/lib/roux/cache/cookbooks/$digest"
plant_cookbook "$work/elsewhere" base 1.0.0
ln -s "$work/elsewhere" "$root/var/lib/roux/cache/cookbooks/$digest"
rm "$root/etc/base.conf"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
not_pwned "converge with a symlinked cache entry"
expect_rc 2 "converge with a symlinked cache entry"
[ "$(cat "$root/etc/base.conf")" = "base 1.0.0" ] || fail "the genuine cookbook was not applied (symlinked entry)"
[ -f "$work/elsewhere/recipes/default.yaml" ] || fail "the symlink's target outside the tree was touched"

# --- 2. git: a planted clone with a malicious tag and a config that breaks the real fetch.
command -v git >/dev/null || { echo "ok (git part skipped: no git CLI)"; exit 0; }
source "$(dirname "$0")/git/fixture.sh"
g="$work/g"
mkdir -p "$g"
git_fixture "$g"
git_release "$g" base 1.0.0
git_policy "$g" base
groot="$g/root"
mkdir -p "$groot/etc/roux-e2e"
plant_clone() {
  local hash evil="$work/evil"
  rm -rf "$evil"
  mkdir -p "$evil/base"
  plant_cookbook "$evil/base" base 9.0.0
  git -C "$evil" init -q
  git -C "$evil" add -A
  git -C "$evil" commit -q -m evil
  git -C "$evil" tag base-v9.0.0
  hash=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:24])' "file://$g/remote.git")
  clone="$groot/var/lib/roux/cache/git/$hash.git"
  rm -rf "$clone"
  mkdir -p "$(dirname "$clone")"
  git clone -q --bare "$evil" "$clone"
  printf '[url "file:///nonexistent-roux-e2e/"]\n\tinsteadOf = file://\n' >>"$clone/config"
}
plant_clone
run_roux plan --policy "$g/policy" --root "$groot"
not_pwned "plan with a planted git clone"
run_roux converge --policy "$g/policy" --root "$groot"
not_pwned "converge with a planted git clone"
expect_rc 2 "converge with a planted git clone (the real remote reachable)"
[ "$(cat "$groot/etc/roux-e2e/base.txt")" = "base 1.0.0" ] || fail "the real remote's base 1.0.0 was not applied"
git -C "$clone" tag | grep -q 'base-v9.0.0' && fail "the planted tag survived the fetch"

# The remote gone: the planted clone is not an offline fallback.
mv "$g/remote.git" "$g/moved.git"
plant_clone
rm "$groot/etc/roux-e2e/base.txt"
run_roux converge --policy "$g/policy" --root "$groot"
not_pwned "converge with a planted git clone and no remote"
expect_rc 1 "converge with a planted git clone and no remote"
[[ "$ERR" == *"is not trusted to say which versions exist, so there is no offline fallback"* ]] ||
  fail "unclear refusal of the planted clone: $ERR"
[ ! -e "$groot/etc/roux-e2e/base.txt" ] || fail "something was applied"
echo "ok"
