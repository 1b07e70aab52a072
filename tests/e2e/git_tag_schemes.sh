# The documented tag schemes: a one-cookbook repository tagged vX.Y.Z (cookbook at the root), and a
# monorepo whose cookbooks live in a folder named by "#FOLDER", tagged NAME/X.Y.Z. A tag whose
# metadata.yaml disagrees with it is skipped with a warning.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git/fixture.sh"
work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/roux-e2e"

# One cookbook at the repository root, tags v1.0.0, v1.1.0, and a lying v9.0.0 (metadata says 1.1.0).
git init -q --bare "$work/single.git"
git init -q "$work/single"
mkdir -p "$work/single/recipes"
release_single() {
  printf 'name: solo\nversion: %s\n' "$1" >"$work/single/metadata.yaml"
  printf 'resources:\n  - file: /etc/roux-e2e/solo.txt\n    content: "solo %s\\n"\n' "$1" >"$work/single/recipes/default.yaml"
  git -C "$work/single" add -A
  git -C "$work/single" commit -q -m "solo $1"
  git -C "$work/single" tag "v$1"
}
release_single 1.0.0
release_single 1.1.0
git -C "$work/single" tag v9.0.0
git -C "$work/single" push -q "$work/single.git" HEAD:refs/heads/main --tags

# A monorepo with cookbooks under chef/cookbooks/, tags NAME/X.Y.Z.
git init -q --bare "$work/mono.git"
git init -q "$work/mono"
mkdir -p "$work/mono/chef/cookbooks/tools/recipes"
printf 'name: tools\nversion: 2.0.0\ndepends:\n  solo: "~> 1.0"\n' >"$work/mono/chef/cookbooks/tools/metadata.yaml"
printf 'resources:\n  - file: /etc/roux-e2e/tools.txt\n    content: "tools 2.0.0\\n"\n' >"$work/mono/chef/cookbooks/tools/recipes/default.yaml"
git -C "$work/mono" add -A
git -C "$work/mono" commit -q -m tools
git -C "$work/mono" tag tools/2.0.0
git -C "$work/mono" push -q "$work/mono.git" HEAD:refs/heads/main --tags

mkdir -p "$work/policy"
cat >"$work/policy/policy.yaml" <<YAML
name: schemes
sources:
  - git+file://$work/mono.git#chef/cookbooks
  - git+file://$work/single.git
run_list:
  - tools
  - solo
YAML
run_roux lock --policy "$work/policy" --root "$root"
expect_rc 0 "roux lock"
[[ "$ERR" == *"tag v9.0.0 skipped: metadata.yaml says version 1.1.0"* ]] || fail "the lying tag was not reported: $ERR"
grep -q '"name": "solo"' "$work/policy/policy.lock.json" || fail "solo not locked"
python3 - "$work/policy/policy.lock.json" <<'PY' || fail "wrong versions or sources locked"
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["cookbooks"]}
assert c["solo"]["version"] == "1.1.0", c["solo"]
assert c["tools"]["version"] == "2.0.0", c["tools"]
assert c["tools"]["source"].endswith("/mono.git#chef/cookbooks"), c["tools"]
assert c["solo"]["source"].endswith("/single.git"), c["solo"]
PY
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "converge"
[ "$(cat "$root/etc/roux-e2e/solo.txt")" = "solo 1.1.0" ] || fail "solo 1.1.0 not applied"
[ "$(cat "$root/etc/roux-e2e/tools.txt")" = "tools 2.0.0" ] || fail "tools 2.0.0 not applied"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 0 "second converge"
echo "ok"
