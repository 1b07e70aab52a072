#!/usr/bin/env bash
# Input made to exhaust memory or the stack is refused with a clear error (exit 1), never a crash:
#   - a 505-byte YAML alias bomb (billion laughs) used to take 2 GB and abort;
#   - 100,000 nested YAML lists gave an unclear error ("bad file"), 20,000 nested arrays in -j
#     segfaulted;
#   - a recipe over the size limit; a -j file that is not an object replaced every attribute;
#   - nested template sections over a list amplified a small template without bound;
#   - a template partial that includes itself recursed until the stack ran out.
# Each run is bounded (ulimit -v, timeout) so that the old binary fails instead of eating the host.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)

# bounded_roux ARGS...: run_roux under a 1 GiB address-space limit and a 60 s timeout.
bounded_roux() {
  RC=0
  (ulimit -v 1048576; exec timeout 60 "$ROUX" "$@") >"$work/out" 2>"$work/err" || RC=$?
  OUT=$(cat "$work/out")
  ERR=$(cat "$work/err")
}

# refused CASE WANT [ARGS...]: plan and converge exit 1 with WANT on stderr; the root keeps only
# converge's own record of the refused run.
refused() {
  local case=$1 want=$2 cmd root left
  shift 2
  for cmd in plan converge; do
    root=$work/root.$case.$cmd
    mkdir -p "$root"
    bounded_roux "$cmd" --policy "$work/$case" --root "$root" "$@"
    expect_rc 1 "$case: $cmd"
    grep -qF -- "$want" <<<"$ERR" || fail "$case: $cmd: no \"$want\" in: $ERR"
    left=$(cd "$root" && find . -mindepth 1 -not -path ./var -not -path ./var/lib -not -path ./var/lib/roux \
      -not -path ./var/lib/roux/run.lock -not -path ./var/lib/roux/history.jsonl | sort | tr '\n' ' ')
    [ -z "$left" ] || fail "$case: $cmd touched the root: $left"
  done
}

# Billion laughs: 9 aliases of 9 aliases ... 9 levels deep.
python3 - "$work/laughs" <<'PY'
import os, sys
d = sys.argv[1]
os.makedirs(d + "/cookbooks/app/recipes")
open(d + "/cookbooks/app/metadata.yaml", "w").write("name: app\nversion: 1.0.0\n")
open(d + "/policy.yaml", "w").write("name: e2e\nsources: [cookbooks]\nrun_list: [app]\n")
lines = ['a0: &a0 ["lol"]']
for i in range(1, 10):
    lines.append("a%d: &a%d [%s]" % (i, i, ",".join(["*a%d" % (i - 1)] * 9)))
lines.append("resources: *a9")
open(d + "/cookbooks/app/recipes/default.yaml", "w").write("\n".join(lines) + "\n")
PY
[ "$(wc -c <"$work/laughs/cookbooks/app/recipes/default.yaml")" -lt 600 ] || fail "the bomb is not small"
refused laughs 'recipes/default.yaml:7:14: yaml: more than 500000 nodes once aliases are expanded'

# Deep nesting in YAML (flow and block) and in a -j JSON file.
mkdir -p "$work/deep"
write_policy "$work/deep" app < <(python3 -c 'print("resources: " + "[" * 100000 + "]" * 100000)')
refused deep 'recipes/default.yaml:1:75: yaml: nesting deeper than 64 levels'
write_policy "$work/deep_block" app < <(python3 -c '
print("resources:")
for i in range(200): print("  " * i + "- ")')
refused deep_block 'yaml: nesting deeper than 64 levels'
write_policy "$work/deep_metadata" app <<<'resources: []'
python3 -c 'print("name: app\nversion: 1.0.0\nx: " + "[" * 100000 + "]" * 100000)' >"$work/deep_metadata/cookbooks/app/metadata.yaml"
refused deep_metadata 'metadata.yaml:3:200004: metadata: nesting too deep'
write_policy "$work/json" app <<'YAML'
resources:
  - file: /etc/a
    content: "{{attr.x}}"
YAML
python3 -c 'print("{\"x\": " + "[" * 20000 + "]" * 20000 + "}")' >"$work/deep.json"
refused json "$work/deep.json:1:70: json: nesting deeper than 64 levels" -j "$work/deep.json"
echo '[1,2,3]' >"$work/list.json"
refused json "$work/list.json: node attributes must be a JSON object, got array" -j "$work/list.json"

# A second YAML document is an error, not silently ignored.
write_policy "$work/twodocs" app <<'YAML'
resources: []
---
resources:
  - file: /etc/b
    content: "b\n"
YAML
refused twodocs 'recipes/default.yaml:2:1: yaml: a second document starts here; a file holds one document'

# A recipe over the size limit (8 MiB).
write_policy "$work/big" app < <(python3 -c 'print("resources: []\n" + "#" * (9 << 20))')
refused big 'recipes/default.yaml: yaml: the file is 9437199 bytes, more than the limit of 8388608'

# Template amplification: 4 nested sections over a 100-item list would print 100^4 lines.
write_policy "$work/amplify" app <<'YAML'
resources:
  - template: /etc/amplified
    source: a.mustache
YAML
mkdir -p "$work/amplify/cookbooks/app/templates"
printf '{{#attr.l}}{{#attr.l}}{{#attr.l}}{{#attr.l}}0123456789abcdef\n{{/attr.l}}{{/attr.l}}{{/attr.l}}{{/attr.l}}' \
  >"$work/amplify/cookbooks/app/templates/a.mustache"
python3 -c 'import json; print(json.dumps({"l": list(range(100))}))' >"$work/list100.json"
refused amplify 'template: the output would pass 16777216 bytes' -j "$work/list100.json"

# A partial that includes itself: partials are not supported (they render nothing).
write_policy "$work/partial" app <<'YAML'
resources:
  - template: /etc/partial
    source: p.mustache
    variables:
      p: "x{{>p}}"
YAML
mkdir -p "$work/partial/cookbooks/app/templates"
printf 'a{{>p}}b\n' >"$work/partial/cookbooks/app/templates/p.mustache"
mkdir -p "$work/root.partial/etc"
bounded_roux converge --policy "$work/partial" --root "$work/root.partial"
expect_rc 2 "self-including partial"
[ "$(cat "$work/root.partial/etc/partial")" = ab ] || fail "partial rendered: $(cat "$work/root.partial/etc/partial")"
echo "ok: alias bombs, deep nesting, big files, non-object -j, template amplification refused"
