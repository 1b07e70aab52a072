# Cookbook content is read with no symlink followed out of the cookbook: a folder source whose
# files/ entry, template, recipe or attributes.yaml is a symlink to a host file (absolute, or
# "../" past the cookbook) is refused at compile time, exit 1, nothing applied and the host file's
# content never printed. A symlink that stays inside the cookbook still works.
source "$(dirname "$0")/lib.sh"
work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$work/outside"
echo "TOPSECRET-$$" >"$work/outside/secret"

write_policy "$work" app <<'YAML'
resources:
  - file: /etc/inner.txt
    source: inner.txt
YAML
mkdir -p "$work/cookbooks/app/files" "$work/cookbooks/app/templates"
echo "inner content" >"$work/cookbooks/app/files/real.txt"
ln -s real.txt "$work/cookbooks/app/files/inner.txt"

# A link that stays inside the cookbook is fine.
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge with an inside symlink"
[ "$(cat "$root/etc/inner.txt")" = "inner content" ] || fail "the inside symlink was not read"

check_refused() {
  local what=$1
  run_roux converge --policy "$work" --root "$root"
  expect_rc 1 "$what"
  [[ "$ERR" == *"leads out of the cookbook"* ]] || fail "$what: no clear refusal: $ERR"
  [[ "$OUT$ERR" != *"TOPSECRET"* ]] || fail "$what: the host file's content was printed"
  [ ! -e "$root/etc/leak" ] || fail "$what: something was applied"
  grep -rq TOPSECRET "$root" && fail "$what: the host file's content landed in the root"
  return 0
}

# files/ entry -> an absolute host path.
ln -s "$work/outside/secret" "$work/cookbooks/app/files/leak"
cat >"$work/cookbooks/app/recipes/default.yaml" <<'YAML'
resources:
  - file: /etc/leak
    source: leak
YAML
check_refused "files/ symlink to a host file"

# template -> ../ past the cookbook.
ln -s ../../../outside/secret "$work/cookbooks/app/templates/leak.mustache"
cat >"$work/cookbooks/app/recipes/default.yaml" <<'YAML'
resources:
  - template: /etc/leak
    source: leak.mustache
YAML
check_refused "template symlink climbing out of the cookbook"

# attributes.yaml -> a host file.
cat >"$work/cookbooks/app/recipes/default.yaml" <<'YAML'
resources:
  - file: /etc/ok
    content: "ok\n"
YAML
ln -s "$work/outside/secret" "$work/cookbooks/app/attributes.yaml"
check_refused "attributes.yaml symlink to a host file"
rm "$work/cookbooks/app/attributes.yaml"

# the recipe itself -> a host file.
rm "$work/cookbooks/app/recipes/default.yaml"
ln -s "$work/outside/secret" "$work/cookbooks/app/recipes/default.yaml"
check_refused "recipe symlink to a host file"
echo "ok"
