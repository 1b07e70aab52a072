# A lockfile that no longer matches its policy (run list or constraints changed since `roux lock`)
# is refused: exit 1, a message saying what to do, nothing applied. `roux update` fixes it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git/fixture.sh"
work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/roux-e2e"
git_fixture "$work"
git_release "$work" base 1.0.0
git_release "$work" extra 1.0.0
git_policy "$work" base

run_roux lock --policy "$work/policy" --root "$root"
expect_rc 0 "roux lock"
before=$(tree_checksum "$root" var/lib/roux)

# The run list gained a cookbook.
printf '  - extra\n' >>"$work/policy/policy.yaml"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 1 "converge with a run list changed after lock"
[[ "$ERR" == *"policy.lock.json: does not match "*"policy.yaml"*"run \`roux lock\` (keeps every pin, resolves what is new)"* ]] || fail "unclear mismatch message: $ERR"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a refused converge changed the host"
run_roux plan --policy "$work/policy" --root "$root"
expect_rc 1 "plan with a mismatched lockfile"

# A constraint changed.
git_policy "$work" base 'base: "< 1.0"'
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 1 "converge with a constraint changed after lock"
[[ "$ERR" == *"does not match"* ]] || fail "constraint change not detected: $ERR"
run_roux update --all --policy "$work/policy" --root "$root"
expect_rc 1 "update with an unsatisfiable constraint"
[[ "$ERR" == *"no version of cookbook base satisfies: policy needs base < 1.0 (available: 1.0.0)"* ]] ||
  fail "unclear resolver message: $ERR"

# Back to a satisfiable policy with the new run list; update re-resolves and converge proceeds.
git_policy "$work" base
printf '  - extra\n' >>"$work/policy/policy.yaml"
run_roux update --all --policy "$work/policy" --root "$root"
expect_rc 0 "roux update"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "converge after update"
[ "$(cat "$root/etc/roux-e2e/extra.txt")" = "extra 1.0.0" ] || fail "extra not applied after update"
echo "ok"
