#!/usr/bin/env bash
# roux doc schemas --out DIR writes the JSON Schemas embedded in the binary (the ones the compiler
# gates properties with): the files equal the repository's schemas/, byte for byte, and a recipe
# with a yaml-language-server modeline validates against the written files (a misspelt property,
# a bad mode and a bad ensure do not), with every $ref resolved from DIR alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c "import jsonschema, yaml" 2>/dev/null || skip "python3-jsonschema/python3-yaml missing"

work=$(e2e_tmpdir)
run_roux doc schemas --out "$work/schemas"
expect_rc 0 "doc schemas"
count=$(cd "$ROUX_SOURCE_DIR/schemas" && find . -name '*.json' | wc -l)
[ "$OUT" = "wrote $count schemas to $work/schemas (recipes: $work/schemas/recipe.schema.json)" ] || fail "output: $OUT"
diff -r "$ROUX_SOURCE_DIR/schemas" "$work/schemas" || fail "the written schemas differ from the repository's"
# Again into the same folder: the same files (overwritten, not appended).
run_roux doc schemas --out "$work/schemas"
expect_rc 0 "doc schemas again"
diff -r "$ROUX_SOURCE_DIR/schemas" "$work/schemas" || fail "the schemas written twice differ"

cat >"$work/good.yaml" <<YAML
# yaml-language-server: \$schema=$work/schemas/recipe.schema.json
resources:
  - file: /etc/motd
    content: "hello\n"
    mode: "0644"
  - git: /srv/app
    repository: git@git.example.com:ops/app.git
    submodules: recursive
  - archive: /opt/app/1.4.1
    ensure: absent
YAML
cat >"$work/bad.yaml" <<'YAML'
resources:
  - file: /etc/motd
    contnet: "hello\n"
  - file: /etc/issue
    mode: "rwx"
  - service: ssh
    ensure: sideways
YAML
/usr/bin/python3 - "$work/schemas" "$work/good.yaml" "$work/bad.yaml" <<'PY' || fail "validation against the written schemas"
import glob, json, os, sys
import jsonschema, yaml
d = sys.argv[1]
store = {}
for p in glob.glob(os.path.join(d, "**", "*.json"), recursive=True):
    s = json.load(open(p))
    jsonschema.Draft202012Validator.check_schema(s)
    store[s["$id"]] = s
recipe = json.load(open(os.path.join(d, "recipe.schema.json")))
v = jsonschema.Draft202012Validator(recipe, resolver=jsonschema.RefResolver(recipe["$id"], recipe, store=store))
good = list(v.iter_errors(yaml.safe_load(open(sys.argv[2]))))
assert not good, [e.message for e in good]
bad = list(v.iter_errors(yaml.safe_load(open(sys.argv[3]))))
assert bad, "the bad recipe validated"
text = json.dumps([str(e) for e in bad])
for word in ("contnet", "rwx", "sideways"):
    assert word in text, (word, [e.message for e in bad])
PY
echo "PASS: doc schemas: written files equal schemas/, a recipe validates against them, bad ones do not"
