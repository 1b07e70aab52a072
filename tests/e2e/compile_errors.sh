#!/usr/bin/env bash
# The corpus in tests/compile_errors/: every case is bad input that must stop the run before any
# change. For each case, `roux plan` and `roux converge` must exit 1, print exactly the lines in the
# case's `expected` file on stderr (ninja style, tested verbatim; the case's temp folder is shown as
# a relative path), and leave the --root untouched: plan leaves it empty; converge only records the
# failed run in its own state folder (var/lib/roux: run.lock, history.jsonl), nothing else.
#
# A case folder holds either
#   - recipe.yaml (+ optional templates/, files/, attributes.yaml): compiled as the default recipe
#     of a cookbook "app" 1.0.0, run by a policy "case" with run_list [app]; or
#   - policy.yaml + cookbooks/: used as is.
# The "(known: ...)" list of resource types is elided, since it grows with every new type.
# ROUX_UPDATE_EXPECTED=1 rewrites the expected files from the current output (review the diff!).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

corpus="$ROUX_SOURCE_DIR/tests/compile_errors"
work=$(e2e_tmpdir)
cases=0
failed=()
for case_dir in "$corpus"/*/; do
  case_dir=${case_dir%/}
  name=$(basename "$case_dir")
  ws="$work/$name"
  mkdir -p "$ws"
  if [ -f "$case_dir/recipe.yaml" ]; then
    mkdir -p "$ws/cookbooks/app/recipes"
    printf 'name: app\nversion: 1.0.0\n' >"$ws/cookbooks/app/metadata.yaml"
    cp "$case_dir/recipe.yaml" "$ws/cookbooks/app/recipes/default.yaml"
    for extra in templates files attributes.yaml; do
      [ -e "$case_dir/$extra" ] && cp -r "$case_dir/$extra" "$ws/cookbooks/app/"
    done
    printf 'name: case\nsources:\n  - cookbooks\nrun_list:\n  - app\n' >"$ws/policy.yaml"
  else
    cp -r "$case_dir/." "$ws/"
    rm -f "$ws/expected"
  fi
  cases=$((cases + 1))
  for cmd in plan converge; do
    root="$ws.root.$cmd"
    mkdir "$root"
    rc=0
    (cd "$ws" && "$ROUX" "$cmd" --policy policy.yaml --root "$root" >"$ws.$cmd.out" 2>"$ws.$cmd.err") || rc=$?
    # The list of known resource types grows with every new type: shown as "..." in expected.
    sed -e "s|$ws/||g" -e "s|$ws|.|g" -e 's|^\(.*: unknown resource type "[^"]*" (known: \)[^)]*)|\1...)|' \
      "$ws.$cmd.err" >"$ws.$cmd.got"
    if [ "$cmd" = plan ] && [ "${ROUX_UPDATE_EXPECTED:-}" = 1 ]; then cp "$ws.$cmd.got" "$case_dir/expected"; fi
    problem=""
    [ "$rc" = 1 ] || problem="exit $rc, want 1"
    if ! diff -u "$case_dir/expected" "$ws.$cmd.got" >"$ws.$cmd.diff"; then
      problem="$problem; stderr differs from expected:
$(cat "$ws.$cmd.diff")"
    fi
    [ -s "$ws.$cmd.out" ] && problem="$problem; unexpected stdout: $(cat "$ws.$cmd.out")"
    if [ "$cmd" = plan ]; then
      left=$(cd "$root" && find . -mindepth 1 | sort | tr '\n' ' ')
    else
      left=$(cd "$root" && find . -mindepth 1 -not -path ./var -not -path ./var/lib -not -path ./var/lib/roux \
        -not -path ./var/lib/roux/run.lock -not -path ./var/lib/roux/history.jsonl | sort | tr '\n' ' ')
    fi
    [ -z "$left" ] || problem="$problem; the root was touched: $left"
    if [ -n "$problem" ]; then
      echo "FAIL $name ($cmd): $problem" >&2
      failed+=("$name/$cmd")
    fi
  done
  # converge records the refused run in the history, with the errors, and changes nothing else.
  if [ -f "$ws.root.converge/var/lib/roux/history.jsonl" ]; then
    python3 - "$ws.root.converge/var/lib/roux/history.jsonl" <<'PY' || failed+=("$name/history")
import json, sys
lines = open(sys.argv[1]).read().splitlines()
h = json.loads(lines[-1])
assert h["exit_code"] == 1 and h["errors"] and h["totals"]["total"] == 0, h
PY
  fi
done
[ "$cases" -ge 20 ] || fail "only $cases cases in $corpus"
[ "${#failed[@]}" = 0 ] || fail "${#failed[@]} failing: ${failed[*]}"
echo "ok: $cases cases, each through plan and converge"
