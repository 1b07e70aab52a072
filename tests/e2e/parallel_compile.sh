#!/usr/bin/env bash
# The compile on several threads (--jobs; the default: the cores) gives what a serial compile
# (--jobs 1) gives:
# 1. A policy of 3 recipes and ~1,200 resources (templates, tags, refs, guards, notifications,
#    verify checks; the compile doctests cover composites too): `roux plan --format json` prints
#    the same plan with --jobs 1, --jobs 2 and the default, durations aside; -vv says how many threads compiled it (more than
#    one with the default on a machine of several cores).
# 2. The same policy broken in several places of several recipes: the same errors, in the same
#    order with the same file:line:col, and the same exit code, whatever --jobs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)

# The plan without what differs between two runs: times and durations.
normalize() {
  python3 -c '
import json, sys
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items()
                if "duration" not in k and not k.endswith("_at") and k not in ("phases_ms", "phases", "run_id", "start_time", "end_time")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
print(json.dumps(strip(json.loads(sys.stdin.read())), indent=1, sort_keys=True))'
}

# gen DIR [BROKEN]: the policy in DIR (BROKEN=1: with errors in recipes a and c).
gen() {
  local dir=$1 broken=${2:-0}
  mkdir -p "$dir/cookbooks/big/templates"
  printf 'name: big\nversion: 1.0.0\n' >"$dir/cookbooks/big/metadata.yaml"
  printf 'big:\n  mode: "0640"\n  words: [x, y]\n' >"$dir/cookbooks/big/attributes.yaml"
  printf 'host {{facts.hostname}} n={{n}} {{#attr.big.words}}{{.}} {{/attr.big.words}}\n' \
    >"$dir/cookbooks/big/templates/t.mustache"
  python3 - "$dir" "$work/root" "$broken" <<'PY'
import sys
dir, root, broken = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
for r in "abc":
    out = [f"tags: [{r}]", "resources:", f"  - directory: {root}/{r}"]
    for i in range(400):
        out += [f"  - file: {root}/{r}/f{i}", f'    content: "{r} {i} {{{{attr.big.words}}}}\\n"',
                '    mode: "{{attr.big.mode}}"']
        if i % 9 == 0: out.append(f"    notify: exec[reload {r}]")
        if i % 10 == 0: out.append(f'    tags: [ten, "t{i}"]')
        if i % 17 == 0: out.append(f"    only_if: test -d {root}")
        if i % 50 == 0:
            out += [f"  - template: {root}/{r}/t{i}.conf", "    source: t.mustache", f"    variables: {{n: {i}}}",
                    f"    requires: file[{root}/{r}/f{i}]"]
        if broken and r != "b" and i in (7, 200, 399):
            out += [f"  - nosuchtype: {r}{i}", f"  - file: {root}/{r}/bad{i}", "    mode: nonsense",
                    f"  - file: {root}/{r}/ref{i}", "    requires: file[/nowhere]"]
    out += [f"  - exec: reload {r}", '    command: "true"', "    refresh_only: true"]
    out += ["verify:", f"  - file_contains: {root}/{r}/f1", f'    contains: "{r} 1"']
    if broken and r == "c":
        out.append("unknown_key: 1")
    open(f"{dir}/cookbooks/big/recipes/{r}.yaml", "w").write("\n".join(out) + "\n")
open(f"{dir}/policy.yaml", "w").write(
    "name: big\nsources: [cookbooks]\nrun_list:\n  - big::a\n  - big::b\n  - big::c\n")
PY
}

mkdir -p "$work/root" "$work/good/cookbooks/big/recipes" "$work/bad/cookbooks/big/recipes"
gen "$work/good"
gen "$work/bad" 1

# --- 1. The same plan whatever the threads.
run_roux -vv plan --policy "$work/good/policy.yaml" --root "$work/root" --format json --jobs 1
expect_rc 2 "plan --jobs 1"
grep -q "compile: [0-9]* resources on 1 thread(s)" <<<"$ERR" || fail "--jobs 1 compiled on one thread: $(echo "$ERR" | grep compile:)"
serial=$(echo "$OUT" | normalize)
# (here-strings, not pipes into grep -q: pipefail would see echo's SIGPIPE)
grep -qF "template[$work/root/b/t200.conf]" <<<"$serial" || fail "the plan lists the templates"
grep -qF "file[$work/root/c/f399]" <<<"$serial" || fail "the plan lists the last recipe's files"
for jobs in 2 default; do
  args=(--jobs "$jobs")
  [ "$jobs" = default ] && args=()
  run_roux -vv plan --policy "$work/good/policy.yaml" --root "$work/root" --format json "${args[@]}"
  expect_rc 2 "plan --jobs $jobs"
  [ "$(echo "$OUT" | normalize)" = "$serial" ] || {
    diff <(echo "$serial") <(echo "$OUT" | normalize) | head -20 >&2
    fail "plan --jobs $jobs differs from --jobs 1"
  }
  threads=$(echo "$ERR" | sed -n 's/.*compile: [0-9]* resources on \([0-9]*\) thread(s).*/\1/p')
  [ -n "$threads" ] || fail "-vv names the compile's threads: $(echo "$ERR" | grep compile)"
  if [ "$(nproc)" -gt 1 ] && [ "$threads" -lt 2 ]; then
    fail "--jobs $jobs on $(nproc) cores compiled on $threads thread"
  fi
  echo "plan --jobs $jobs: the same plan; compiled on $threads thread(s)"
done

# --- 2. The same errors whatever the threads.
run_roux plan --policy "$work/bad/policy.yaml" --root "$work/root" --jobs 1
rc_serial=$RC
err_serial=$ERR
[ "$rc_serial" != 0 ] && [ "$rc_serial" != 2 ] || fail "a broken policy fails its plan (exit $rc_serial)"
# Errors of both broken recipes, at their places.
grep -q "cookbooks/big/recipes/a.yaml:[0-9]*:[0-9]*: .*unknown resource type \"nosuchtype\"" <<<"$err_serial" ||
  fail "the unknown type is named at its place: $err_serial"
grep -q "cookbooks/big/recipes/c.yaml:[0-9]*:[0-9]*: .*recipe: unknown key \"unknown_key\"" <<<"$err_serial" ||
  fail "the recipe's unknown key is named at its place: $err_serial"
[ "$(echo "$err_serial" | grep -c 'unknown resource type')" = 6 ] || fail "six unknown types: $err_serial"
for jobs in 2 default; do
  args=(--jobs "$jobs")
  [ "$jobs" = default ] && args=()
  run_roux plan --policy "$work/bad/policy.yaml" --root "$work/root" "${args[@]}"
  [ "$RC" = "$rc_serial" ] || fail "--jobs $jobs: exit $RC, --jobs 1: $rc_serial"
  [ "$ERR" = "$err_serial" ] || {
    diff <(echo "$err_serial") <(echo "$ERR") | head -20 >&2
    fail "--jobs $jobs: errors differ from --jobs 1"
  }
done
echo "ok: parallel compile = serial compile (plan and errors)"
