#!/usr/bin/env bash
# Every example in examples/ (each with policy.yaml) and every cookbook in cookbooks/ (through a
# generated policy running each of its recipes) is validated, planned, converged into a temp --root
# and converged again with 0 changes; the plan's change list equals the first converge's (plan == apply).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
cases=()
for ex in "$ROUX_SOURCE_DIR"/examples/*/; do
  [ -f "$ex/policy.yaml" ] && cases+=("example:${ex%/}")
done
for cb in "$ROUX_SOURCE_DIR"/cookbooks/*/; do
  [ -f "$cb/metadata.yaml" ] && cases+=("cookbook:${cb%/}")
done
[ "${#cases[@]}" -ge 2 ] || fail "found only ${#cases[@]} examples and cookbooks"

n=0
for c in "${cases[@]}"; do
  kind=${c%%:*}
  path=${c#*:}
  n=$((n + 1))
  root="$work/root$n"
  # converge creates its state folder (var/lib/roux) inside the root before the walk, so on an empty
  # root plan would predict "/var" as a parent to create that converge then finds already there.
  # /var exists on every real host: start from a root that has it.
  mkdir -p "$root/var/lib"
  if [ "$kind" = example ]; then
    policy="$path/policy.yaml"
  else
    name=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["name"])' "$path/metadata.yaml")
    policy="$work/policy$n.yaml"
    {
      printf 'name: test-%s\nsources:\n  - %s\nrun_list:\n' "$name" "$(dirname "$path")"
      for r in "$path"/recipes/*.yaml; do printf '  - %s::%s\n' "$name" "$(basename "$r" .yaml)"; done
    } >"$policy"
    run_roux validate "$path"
    expect_rc 0 "validate cookbook $path"
  fi
  run_roux validate "$policy"
  expect_rc 0 "validate $policy"
  run_roux plan --policy "$policy" --root "$root" --format json
  expect_rc 2 "plan $c"
  printf '%s\n' "$OUT" >"$work/plan$n.json"
  [ "$(cd "$root" && find . | sort | tr '\n' ' ')" = ". ./var ./var/lib " ] || fail "plan $c wrote into the root"
  run_roux converge --policy "$policy" --root "$root" --report "$work/apply$n.json"
  expect_rc 2 "first converge $c"
  json_changes "$work/plan$n.json" >"$work/plan$n.changes"
  json_changes "$work/apply$n.json" >"$work/apply$n.changes"
  [ -s "$work/plan$n.changes" ] || fail "$c: plan lists no change"
  diff -u "$work/plan$n.changes" "$work/apply$n.changes" || fail "$c: plan != apply"
  run_roux converge --policy "$policy" --root "$root" --report "$work/again$n.json"
  expect_rc 0 "second converge $c"
  [ "$(json_get "$work/again$n.json" 'r["totals"]["changed"]')" = 0 ] || fail "$c: second converge changed something"
  echo "ok: $c ($(wc -l <"$work/apply$n.changes") changes, then none)"
done
